/**
 * The deterministic script behind both the built-in `mock` provider and the
 * standalone `parley mock-upstream` server: the same request always yields the
 * same reasoning chunks, answer chunks and usage, so frontends and tests can
 * assert on exact text offline.
 */
import type { ChatRequest, Usage } from '../types.js';

/** Shape of a scripted answer. */
export interface MockScriptOptions {
  /** Number of answer chunks (each one word with its leading space). Default 24. */
  chunkCount?: number;
  /** Number of reasoning chunks before the answer. Default 0. */
  reasoningChunks?: number;
}

/** A scripted completion: chunks in send order and the usage they add up to. */
export interface MockScript {
  reasoning: string[];
  content: string[];
  usage: Usage;
}

const WORDS = [
  'streaming', 'tokens', 'arrive', 'in', 'order', 'from', 'the', 'mock', 'provider', 'so',
  'your', 'frontend', 'can', 'render', 'them', 'as', 'they', 'come', 'and', 'tests',
  'assert', 'on', 'exact', 'text', 'without', 'a', 'network', 'or', 'key',
];
const THOUGHTS = [
  'First', 'I', 'read', 'the', 'question', 'carefully.', 'Then', 'I', 'plan', 'a', 'short',
  'answer', 'and', 'check', 'it.',
];

/** FNV-1a 32-bit hash: a stable seed from the prompt text. */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    value ^= text.charCodeAt(index);
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  return value;
}

/**
 * Whether the request asks for labelled thinking sections (a system message
 * naming both the ANALYZE and ANSWER labels), as structured thinking does.
 */
export function wantsSections(request: ChatRequest): boolean {
  return request.messages.some(
    (message) => message.role === 'system' && /\bANALYZE:/.test(message.content ?? '') && /\bANSWER:/.test(message.content ?? ''),
  );
}

/** Splits text into chunks of one word each with its trailing whitespace, like token streams. */
function wordChunks(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/** Rough token count (words), used only for the mock's usage figures. */
export function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

/**
 * Builds the script for a request. The first answer chunk echoes the last user
 * message (cut to 60 characters) so a reply is visibly tied to its prompt.
 */
export function mockScript(request: ChatRequest, options: MockScriptOptions = {}): MockScript {
  const chunkCount = Math.max(1, options.chunkCount ?? 24);
  const reasoningChunks = Math.max(0, options.reasoningChunks ?? 0);
  const lastUser = [...request.messages].reverse().find((message) => message.role === 'user');
  const prompt = (lastUser?.content ?? '').replace(/\s+/g, ' ').trim();
  const seed = hash(prompt);

  const content = [`Mock reply to "${prompt.slice(0, 60)}":`];
  for (let index = 1; index < chunkCount; index += 1) {
    content.push(` ${WORDS[(seed + index * 7) % WORDS.length]}`);
  }
  if (chunkCount > 1) content[chunkCount - 1] += '.';

  const reasoning: string[] = [];
  for (let index = 0; index < reasoningChunks; index += 1) {
    reasoning.push(`${index === 0 ? '' : ' '}${THOUGHTS[index % THOUGHTS.length]}`);
  }

  if (wantsSections(request)) {
    const answer = content.join('');
    const sections = [
      `ANALYZE: The user asks about "${prompt.slice(0, 60)}".\n`,
      'THINK: First I consider what the user needs.\n\n',
      'Then I check the facts before answering.\n',
      `ANSWER: ${answer}\n`,
      'FOLLOWUPS:\n- Can you give an example?\n- What should I read next?\n',
      'CONFIDENCE: 0.8\n',
    ].join('');
    content.splice(0, content.length, ...wordChunks(sections));
  }

  const promptTokens = request.messages.reduce((sum, message) => sum + countWords(message.content ?? '') + 4, 0);
  return {
    reasoning,
    content,
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: content.length + reasoning.length,
      reasoning_tokens: reasoning.length,
      cached_tokens: 0,
    },
  };
}
