/**
 * Chunk mapping: validated `chat.completion.chunk`s → provider-neutral
 * {@link StreamPart}s. Every difference between compatible servers is handled by
 * which fields a chunk carries, never by who sent it.
 */
import type { FinishReason, StreamPart, Usage } from '../types.js';
import type { ChatCompletionChunk, ChunkChoice, ChunkContentPart, ChunkToolCall, ChunkUsage } from './chunk-schema.js';
import type { UpstreamCallContext } from '../provider-utils/upstream-errors.js';
import { fromStreamError } from './errors.js';
import { ThinkSplitter } from './think-splitter.js';

const KNOWN_FINISH_REASONS = new Set<string>(['stop', 'length', 'tool_calls', 'content_filter']);

/**
 * OpenAI finish reasons pass through; the legacy `function_call` is a tool call;
 * anything else (`eos`, `end_turn`, OpenRouter's `error` without an error object …)
 * is treated as a normal `stop`.
 */
export function toFinishReason(upstream: string): FinishReason {
  if (KNOWN_FINISH_REASONS.has(upstream)) return upstream as FinishReason;
  if (upstream === 'function_call') return 'tool_calls';
  return 'stop';
}

/** xAI cost ticks per USD (https://docs.x.ai/developers/cost-tracking). */
const TICKS_PER_USD = 1e10;

/**
 * Whether the server counted reasoning tokens beside `completion_tokens`
 * rather than inside it, read from the counts alone: `total_tokens` equal to
 * prompt + completion + reasoning (and not to prompt + completion), or, with
 * no total, more reasoning than completion tokens, which OpenAI's definition
 * cannot produce. xAI reports this way; OpenAI, DeepSeek, Groq do not.
 */
function reasoningBesideCompletion(prompt: number, completion: number, reasoning: number, total: number | undefined): boolean {
  if (reasoning <= 0) return false;
  if (total !== undefined) return total === prompt + completion + reasoning && total !== prompt + completion;
  return reasoning > completion;
}

/**
 * Upstream usage → {@link Usage}, normalized to OpenAI's definitions
 * whatever the server: `completion_tokens` includes the reasoning tokens
 * (added in when the server counted them beside it), `reasoning_tokens` from
 * `completion_tokens_details.reasoning_tokens`, cached prompt tokens from
 * `prompt_tokens_details.cached_tokens`, and the reported cost in USD:
 * OpenRouter's `cost`, or xAI's `cost_in_usd_ticks` / 1e10. Missing counts are 0.
 */
export function toUsage(usage: ChunkUsage): Usage {
  const prompt = usage.prompt_tokens ?? 0;
  const reported = usage.completion_tokens ?? 0;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens ?? 0;
  const mapped: Usage = {
    prompt_tokens: prompt,
    completion_tokens: reasoningBesideCompletion(prompt, reported, reasoning, usage.total_tokens ?? undefined) ? reported + reasoning : reported,
    reasoning_tokens: reasoning,
    cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
  };
  if (typeof usage.cost === 'number') mapped.cost = usage.cost;
  else if (typeof usage.cost_in_usd_ticks === 'number') mapped.cost = usage.cost_in_usd_ticks / TICKS_PER_USD;
  return mapped;
}

function thinkingText(part: ChunkContentPart): string {
  const thinking = part.thinking;
  if (typeof thinking === 'string') return thinking;
  if (Array.isArray(thinking)) return thinking.map((piece) => piece.text ?? '').join('');
  return part.text ?? '';
}

function toolCallPart(call: ChunkToolCall, position: number): StreamPart | undefined {
  const name = call.function?.name ?? undefined;
  const argumentsDelta = call.function?.arguments ?? undefined;
  const id = call.id ?? undefined;
  const hasId = id !== undefined && id !== '';
  const hasName = name !== undefined && name !== '';
  const hasArguments = argumentsDelta !== undefined && argumentsDelta !== '';
  if (!hasId && !hasName && !hasArguments) return undefined;
  return {
    type: 'tool_call.delta',
    // Servers that send whole calls at once (Ollama) may omit the index.
    index: call.index ?? position,
    ...(hasId ? { id } : {}),
    ...(hasName ? { name } : {}),
    ...(hasArguments ? { arguments: argumentsDelta } : {}),
  };
}

/**
 * Maps the chunks of one stream in order. Stateful: it owns the `<think>`
 * splitter, remembers whether a finish was seen (one `finish` part per stream,
 * even when a server repeats `finish_reason`), and keeps the last usage seen so
 * the adapter can emit it once at the end.
 *
 * Only choice 0 is read: Parley never asks for `n` > 1.
 */
export class ChunkMapper {
  private readonly splitter = new ThinkSplitter();
  private lastUsage: Usage | undefined;
  private finishReason: FinishReason | undefined;

  constructor(private readonly context: UpstreamCallContext) {}

  /** The last non-null `usage` seen so far, mapped; `undefined` if none yet. */
  get usage(): Usage | undefined {
    return this.lastUsage;
  }

  /** Whether a `finish` part was produced. */
  get finished(): boolean {
    return this.finishReason !== undefined;
  }

  /**
   * Maps one chunk. Returns reasoning, message, tool-call and finish parts in
   * that order, empty deltas skipped; usage is recorded, not returned. A chunk
   * carrying an `error` object returns the held-back text and then an `error`
   * part, after which the stream must end.
   */
  map(chunk: ChatCompletionChunk): StreamPart[] {
    if (chunk.usage !== undefined && chunk.usage !== null) this.lastUsage = toUsage(chunk.usage);
    if (chunk.error !== undefined && chunk.error !== null) {
      return [...this.flush(), { type: 'error', error: fromStreamError(chunk.error, this.context) }];
    }
    const choice = chunk.choices?.find((candidate) => (candidate.index ?? 0) === 0);
    return choice === undefined ? [] : this.mapChoice(choice);
  }

  private mapChoice(choice: ChunkChoice): StreamPart[] {
    const parts: StreamPart[] = [];
    const reasoningText = (text: string) => {
      if (text !== '') parts.push({ type: 'reasoning.delta', text });
    };
    const messageText = (text: string) => {
      if (text !== '') parts.push({ type: 'message.delta', text });
    };
    const delta = choice.delta ?? undefined;

    if (delta !== undefined) {
      // Some servers send the same text in both fields; one of them is enough.
      const reasoning = delta.reasoning_content || delta.reasoning;
      if (typeof reasoning === 'string') reasoningText(reasoning);

      const content = delta.content;
      if (typeof content === 'string') {
        const split = this.splitter.push(content);
        reasoningText(split.reasoning);
        messageText(split.content);
      } else if (Array.isArray(content)) {
        for (const part of content) {
          if (part.type === 'thinking') reasoningText(thinkingText(part));
          else if (part.type === 'text') messageText(part.text ?? '');
        }
      }
      // A refusal is the answer the user gets; Parley has no separate part for it.
      if (typeof delta.refusal === 'string') messageText(delta.refusal);

      delta.tool_calls?.forEach((call, position) => {
        const part = toolCallPart(call, position);
        if (part !== undefined) parts.push(part);
      });
    }

    const finishReason = choice.finish_reason;
    if (typeof finishReason === 'string' && finishReason !== '' && this.finishReason === undefined) {
      // Held-back text belongs before the finish.
      parts.push(...this.flush());
      this.finishReason = toFinishReason(finishReason);
      parts.push({ type: 'finish', finish_reason: this.finishReason });
    }
    return parts;
  }

  /**
   * Releases text the `<think>` splitter held back (a partial tag). Safe to call
   * more than once.
   */
  flush(): StreamPart[] {
    const split = this.splitter.flush();
    const parts: StreamPart[] = [];
    if (split.reasoning !== '') parts.push({ type: 'reasoning.delta', text: split.reasoning });
    if (split.content !== '') parts.push({ type: 'message.delta', text: split.content });
    return parts;
  }
}
