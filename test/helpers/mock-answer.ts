/** What the built-in mock provider answers, computed from the same script it streams. */
import { mockScript } from '../../src/providers/mock/script.js';

/** The mock's answer chunks to `prompt` (the mock looks only at the last user message). */
export function mockChunks(prompt: string, model = 'mock-model'): string[] {
  return mockScript({ model, messages: [{ role: 'user', content: prompt }] }).content;
}

/** The mock's whole answer text to `prompt`. */
export function mockAnswer(prompt: string): string {
  return mockChunks(prompt).join('');
}

/** Raw SSE frames of a response body: each frame's lines, comments dropped. */
export async function rawFrames(response: Response): Promise<string[][]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .map((frame) => frame.split('\n').filter((line) => line !== '' && !line.startsWith(':')))
    .filter((lines) => lines.length > 0);
}
