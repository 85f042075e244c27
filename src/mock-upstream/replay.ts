/**
 * Recorded provider streams for replay: each file line is one JSON chunk as the
 * provider sent it. Streaming replays the lines byte for byte; non-streaming
 * assembles the deltas into the one response object the provider would have
 * returned, so both modes of a client can be tested against the same recording.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** A loaded recording, with every SSE event precomputed. */
export interface Replay {
  /** `anthropic` for Anthropic Messages events, `google` for Gemini responses, otherwise OpenAI chat chunks. */
  format: 'openai' | 'anthropic' | 'google';
  /** One complete SSE event per recorded line, in order. */
  frames: string[];
  /** Written after the last frame: `data: [DONE]\n\n` for OpenAI, nothing for Anthropic and Gemini. */
  terminator: string;
  /** `frames` + `terminator` joined, for the common unpaced, fault-free case. */
  body: string;
  /** JSON text of the assembled non-streaming response. */
  completion: string;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Appends `text` to `target[key]` when `text` is a string (deltas may be null). */
function append(target: Json, key: string, text: unknown): void {
  if (typeof text !== 'string') return;
  target[key] = (typeof target[key] === 'string' ? target[key] : '') + text;
}

/** Folds OpenAI chat chunks into a `chat.completion` object. */
function assembleOpenAI(chunks: Json[]): Json {
  const first = chunks[0] ?? {};
  const message: Json = { role: 'assistant' };
  const toolCalls: Json[] = [];
  let finishReason: unknown = null;
  let usage: unknown;
  for (const chunk of chunks) {
    if (isObject(chunk.usage)) usage = chunk.usage;
    const choice: unknown = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    if (!isObject(choice)) continue;
    if (choice.finish_reason !== null && choice.finish_reason !== undefined) finishReason = choice.finish_reason;
    const delta = choice.delta;
    if (!isObject(delta)) continue;
    append(message, 'content', delta.content);
    append(message, 'reasoning_content', delta.reasoning_content);
    append(message, 'reasoning', delta.reasoning);
    if (!Array.isArray(delta.tool_calls)) continue;
    for (const part of delta.tool_calls as unknown[]) {
      if (!isObject(part)) continue;
      const index = typeof part.index === 'number' ? part.index : toolCalls.length;
      const call = (toolCalls[index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
      if (typeof part.id === 'string') call.id = part.id;
      const fn = call.function as Json;
      if (isObject(part.function)) {
        append(fn, 'name', part.function.name);
        append(fn, 'arguments', part.function.arguments);
      }
    }
  }
  message.content ??= null;
  if (toolCalls.length > 0) message.tool_calls = toolCalls.filter(Boolean);
  const completion: Json = {
    id: first.id,
    object: 'chat.completion',
    created: first.created,
    model: first.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
  };
  if (usage !== undefined) completion.usage = usage;
  return completion;
}

/** Folds Anthropic Messages events into the non-streaming `message` object. */
function assembleAnthropic(events: Json[]): Json {
  let message: Json = { type: 'message', role: 'assistant' };
  const blocks: Json[] = [];
  const partialJson = new Map<number, string>();
  for (const event of events) {
    const index = typeof event.index === 'number' ? event.index : 0;
    if (event.type === 'message_start' && isObject(event.message)) {
      message = { ...event.message };
    } else if (event.type === 'content_block_start' && isObject(event.content_block)) {
      blocks[index] = { ...event.content_block };
    } else if (event.type === 'content_block_delta' && isObject(event.delta)) {
      const block = (blocks[index] ??= { type: 'text', text: '' });
      const delta = event.delta;
      if (delta.type === 'text_delta') append(block, 'text', delta.text);
      else if (delta.type === 'thinking_delta') append(block, 'thinking', delta.thinking);
      else if (delta.type === 'signature_delta') append(block, 'signature', delta.signature);
      else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string') {
        partialJson.set(index, (partialJson.get(index) ?? '') + delta.partial_json);
      }
    } else if (event.type === 'message_delta') {
      if (isObject(event.delta)) Object.assign(message, event.delta);
      if (isObject(event.usage)) message.usage = { ...(isObject(message.usage) ? message.usage : {}), ...event.usage };
    }
  }
  for (const [index, text] of partialJson) {
    const block = blocks[index];
    if (block !== undefined) block.input = text === '' ? {} : (JSON.parse(text) as unknown);
  }
  message.content = blocks.filter(Boolean);
  return message;
}

/**
 * Folds Gemini stream events into the one `GenerateContentResponse` that
 * `generateContent` returns: consecutive text parts of the same kind (thought or
 * answer) joined, function calls kept, the last finish reason, usage and
 * prompt feedback.
 */
function assembleGoogle(chunks: Json[]): Json {
  const parts: Json[] = [];
  let finishReason: unknown;
  let usageMetadata: unknown;
  let promptFeedback: unknown;
  for (const chunk of chunks) {
    if (isObject(chunk.usageMetadata)) usageMetadata = chunk.usageMetadata;
    if (isObject(chunk.promptFeedback)) promptFeedback = chunk.promptFeedback;
    const candidate: unknown = Array.isArray(chunk.candidates) ? chunk.candidates[0] : undefined;
    if (!isObject(candidate)) continue;
    if (typeof candidate.finishReason === 'string') finishReason = candidate.finishReason;
    const content = candidate.content;
    if (!isObject(content) || !Array.isArray(content.parts)) continue;
    for (const part of content.parts as unknown[]) {
      if (!isObject(part)) continue;
      const last = parts.at(-1);
      if (typeof part.text === 'string' && last !== undefined && typeof last.text === 'string' && last.thought === part.thought) {
        append(last, 'text', part.text);
        if (typeof part.thoughtSignature === 'string') last.thoughtSignature = part.thoughtSignature;
      } else {
        parts.push({ ...part });
      }
    }
  }
  const last = chunks.at(-1) ?? {};
  const response: Json = {
    candidates: [{ content: { parts, role: 'model' }, ...(finishReason === undefined ? {} : { finishReason }), index: 0 }],
    modelVersion: last.modelVersion,
    responseId: last.responseId,
  };
  if (usageMetadata !== undefined) response.usageMetadata = usageMetadata;
  if (promptFeedback !== undefined) response.promptFeedback = promptFeedback;
  return response;
}

/** A recording's wire format, from its file name or else its first chunk. */
function formatOf(path: string, first: Json | undefined): Replay['format'] {
  const name = basename(path);
  if (name.startsWith('anthropic-') || first?.type === 'message_start') return 'anthropic';
  if (name.startsWith('google-') || first?.candidates !== undefined || first?.promptFeedback !== undefined) return 'google';
  return 'openai';
}

/**
 * Reads and precomputes a recording. Blank lines are skipped.
 * Throws (Error) if the file cannot be read, is empty, or a line is not a JSON object.
 */
export function loadReplay(path: string): Replay {
  const lines = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
  if (lines.length === 0) throw new Error(`replay file ${path} has no chunks`);
  const chunks = lines.map((line, index) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`replay file ${path}, line ${index + 1}: not JSON`);
    }
    if (!isObject(parsed)) throw new Error(`replay file ${path}, line ${index + 1}: not a JSON object`);
    return parsed;
  });
  const format = formatOf(path, chunks[0]);
  const frames =
    format === 'anthropic'
      ? lines.map((line, index) => `event: ${String(chunks[index]?.type)}\ndata: ${line}\n\n`)
      : lines.map((line) => `data: ${line}\n\n`);
  const terminator = format === 'openai' ? 'data: [DONE]\n\n' : '';
  const assemble = { openai: assembleOpenAI, anthropic: assembleAnthropic, google: assembleGoogle }[format];
  return { format, frames, terminator, body: frames.join('') + terminator, completion: JSON.stringify(assemble(chunks)) };
}
