/**
 * What a recorded Anthropic or Gemini stream says, read straight from the file
 * (not through Parley's mappers), so a mapping bug cannot hide in both.
 */
import { readFileSync } from 'node:fs';
import { UPSTREAM_STREAMS_DIRECTORY } from './fixtures.js';

/** The fixtures directory, as an absolute path with a trailing slash. */
export const FIXTURES = `${UPSTREAM_STREAMS_DIRECTORY}/`;

/** The expected answer of a recording. */
export interface ExpectedAnswer {
  text: string;
  reasoning: string;
  toolCalls: { name: string; arguments: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; reasoning_tokens: number };
  /** The provider's own stop / finish reason, as recorded. */
  stopReason: string | undefined;
}

function lines(name: string): any[] {
  return readFileSync(`${FIXTURES}${name}.chunks.txt`, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

/** Anthropic Messages events: text and thinking deltas, tool_use blocks, merged usage. */
export function expectedAnthropic(name: string): ExpectedAnswer {
  const expected: ExpectedAnswer = { text: '', reasoning: '', toolCalls: [], usage: { prompt_tokens: 0, completion_tokens: 0, reasoning_tokens: 0 }, stopReason: undefined };
  const usage: Record<string, number> = {};
  const toolByBlock = new Map<number, { name: string; arguments: string }>();
  for (const event of lines(name)) {
    if (event.type === 'message_start') Object.assign(usage, event.message.usage);
    if (event.type === 'message_delta') {
      Object.assign(usage, event.usage);
      expected.stopReason = event.delta.stop_reason;
    }
    if (event.type === 'content_block_start' && event.content_block.type === 'tool_use') {
      const call = { name: event.content_block.name, arguments: '' };
      toolByBlock.set(event.index, call);
      expected.toolCalls.push(call);
    }
    if (event.type !== 'content_block_delta') continue;
    if (event.delta.type === 'text_delta') expected.text += event.delta.text;
    if (event.delta.type === 'thinking_delta') expected.reasoning += event.delta.thinking;
    if (event.delta.type === 'input_json_delta') toolByBlock.get(event.index)!.arguments += event.delta.partial_json;
  }
  for (const call of expected.toolCalls) if (call.arguments === '') call.arguments = '{}';
  expected.usage = {
    prompt_tokens: (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0),
    completion_tokens: usage.output_tokens ?? 0,
    reasoning_tokens: 0,
  };
  return expected;
}

/** The signature of each thinking block of an Anthropic recording, in order. */
export function anthropicSignatures(name: string): string[] {
  const signatures: string[] = [];
  for (const event of lines(name)) {
    if (event.type === 'content_block_delta' && event.delta.type === 'signature_delta') signatures.push(event.delta.signature);
  }
  return signatures;
}

/** Gemini events: answer and thought text, function calls, the last usage metadata. */
export function expectedGoogle(name: string): ExpectedAnswer {
  const expected: ExpectedAnswer = { text: '', reasoning: '', toolCalls: [], usage: { prompt_tokens: 0, completion_tokens: 0, reasoning_tokens: 0 }, stopReason: undefined };
  let usage: Record<string, number> = {};
  for (const chunk of lines(name)) {
    if (chunk.usageMetadata !== undefined) usage = chunk.usageMetadata;
    const candidate = chunk.candidates?.[0];
    if (candidate?.finishReason !== undefined) expected.stopReason = candidate.finishReason;
    for (const part of candidate?.content?.parts ?? []) {
      if (part.functionCall !== undefined) expected.toolCalls.push({ name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) });
      else if (part.thought === true) expected.reasoning += part.text;
      else expected.text += part.text ?? '';
    }
  }
  const thoughts = usage.thoughtsTokenCount ?? 0;
  expected.usage = { prompt_tokens: usage.promptTokenCount ?? 0, completion_tokens: (usage.candidatesTokenCount ?? 0) + thoughts, reasoning_tokens: thoughts };
  return expected;
}

/** The last `thoughtSignature` on a non-thought text part of a Gemini recording. */
export function googleTextSignature(name: string): string | undefined {
  let signature: string | undefined;
  for (const chunk of lines(name)) {
    for (const part of chunk.candidates?.[0]?.content?.parts ?? []) {
      if (part.functionCall === undefined && part.thought !== true && typeof part.thoughtSignature === 'string') signature = part.thoughtSignature;
    }
  }
  return signature;
}
