/**
 * The provider contract: provider-neutral on both sides (after vercel/ai's
 * `LanguageModelV3.doStream`). An adapter turns a {@link ChatRequest} into an
 * upstream call and the upstream stream into {@link StreamPart}s. Nothing outside
 * a provider's folder knows which provider it is.
 */
import type { ParleyError } from '../errors.js';

/** One tool call as OpenAI's chat API carries it on an assistant message. */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A chat message in OpenAI's shape (text content only). */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  name?: string;
  tool_call_id?: string;
  tool_calls?: ToolCall[];
}

/** Provider-neutral request. `model` is the id as the provider names it (no `name:` prefix). */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  top_p?: number;
  /** Upper bound on completion tokens. */
  max_tokens?: number;
  stop?: string | string[];
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  /** OpenAI `tools` / `tool_choice`, passed through unchanged. */
  tools?: unknown[];
  tool_choice?: unknown;
  user?: string;
}

/** Token usage, OpenAI names; `cost` in USD when the provider reports it. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
  cached_tokens: number;
  cost?: number;
}

/** OpenAI's finish reasons, plus `cancelled` for runs stopped on request. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'cancelled';

/** One part of a provider-neutral stream (DESIGN.md "Provider-neutral stream parts"). */
export type StreamPart =
  | { type: 'reasoning.delta'; text: string }
  | { type: 'message.delta'; text: string }
  | { type: 'tool_call.delta'; index: number; id?: string; name?: string; arguments?: string }
  | { type: 'usage'; usage: Usage }
  | { type: 'finish'; finish_reason: FinishReason }
  /** A failure; always the last part. Adapters yield it instead of throwing. */
  | { type: 'error'; error: ParleyError };

/** A model as `/v1/models` lists it. */
export interface ModelInfo {
  id: string;
  owned_by: string;
  /** Provider's own extra fields (context length, pricing …), passed through. */
  [key: string]: unknown;
}

/** Per-call options. */
export interface StreamOptions {
  /** Aborting it aborts the upstream request. */
  signal: AbortSignal;
}

/** A configured model provider. */
export interface Provider {
  /** The configured name, used as the `name:` model prefix (`openrouter`, `mock`, …). */
  readonly name: string;
  /** Model used when a request names none. */
  readonly defaultModel: string;
  /**
   * Streams one completion. Never throws: every failure, including HTTP errors
   * before the first byte, arrives as a final `error` part.
   */
  stream(request: ChatRequest, options: StreamOptions): AsyncIterable<StreamPart>;
  /** Lists the provider's models. Throws ParleyError on upstream failure. */
  listModels(signal?: AbortSignal): Promise<ModelInfo[]>;
  /** Releases pooled connections. */
  close(): Promise<void>;
}

/** Zero usage, the starting point for accumulation. */
export function emptyUsage(): Usage {
  return { prompt_tokens: 0, completion_tokens: 0, reasoning_tokens: 0, cached_tokens: 0 };
}
