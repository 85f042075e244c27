/**
 * The provider contract: provider-neutral on both sides (after vercel/ai's
 * `LanguageModelV3.doStream`). An adapter turns a {@link ChatRequest} into an
 * upstream call and the upstream stream into {@link StreamPart}s. Nothing outside
 * a provider's folder knows which provider it is.
 */
import type { ParleyError } from '../errors.js';

/** A JSON value, as provider metadata and tool schemas hold them. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * What an adapter attaches to an answer for its own later use (vercel/ai
 * `SharedV3ProviderMetadata`): keyed by the adapter's metadata key (`anthropic`,
 * `google`), each value opaque to everything outside that adapter's folder.
 * Stored with the assistant message and handed back to the adapter on later
 * turns in {@link ChatMessage.providerMetadata} (Anthropic thinking blocks with
 * their signatures, Gemini thought signatures).
 */
export type ProviderMetadata = Record<string, JsonObject>;

/** One tool call as OpenAI's chat API carries it on an assistant message. */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/**
 * Where an attachment's bytes are (vercel/ai `LanguageModelV3FilePart.data`):
 * inline as base64 with their media type, or an https URL the provider
 * fetches itself (Parley never fetches one).
 */
export type MediaSource = { type: 'base64'; mediaType: string; data: string } | { type: 'url'; url: string; mediaType?: string };

/**
 * One part of a message with attachments, in order. OpenAI's `image_url`,
 * `input_audio` and `file` parts, the Responses API's `input_image` /
 * `input_file` and stored attachments all map onto these.
 */
export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image'; source: MediaSource; detail?: 'auto' | 'low' | 'high' }
  | { type: 'audio'; source: Extract<MediaSource, { type: 'base64' }> }
  | { type: 'file'; source: MediaSource; filename?: string };

/**
 * Which attachments a provider takes (none when a provider leaves it unset):
 * images, audio and files inline, and images / files as https URLs it fetches
 * itself. Checked by the core before a run starts, so a part a provider cannot
 * take is a 400 naming the part, not an upstream error.
 */
export interface ProviderInputs {
  image: boolean;
  audio: boolean;
  file: boolean;
  imageUrl: boolean;
  fileUrl: boolean;
}

/** A chat message in OpenAI's shape. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  /** The text; with {@link parts}, the text parts joined (what text-only readers such as the content filter see). */
  content: string | null;
  /** A user message with attachments: its whole content in order, text parts included; unset for text only. */
  parts?: ContentPart[];
  name?: string;
  tool_call_id?: string;
  tool_calls?: ToolCall[];
  /** On an assistant message: the metadata its provider attached to it (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
}

/**
 * A function the model may call (vercel/ai `LanguageModelV3FunctionTool`).
 * OpenAI's `{type: "function", function: {name, description, parameters, strict}}`
 * maps onto it one to one.
 */
export interface FunctionTool {
  type: 'function';
  /** Unique within one request. */
  name: string;
  description?: string;
  /** JSON Schema (draft 7 subset the providers accept) of the call's arguments object. */
  inputSchema: JsonObject;
  /** Ask the provider to guarantee arguments that match the schema, where it can. */
  strict?: boolean;
}

/**
 * Whether and which tool the model must call (vercel/ai `LanguageModelV3ToolChoice`):
 * `auto` lets it choose, `none` forbids tools, `required` forces some tool,
 * `tool` forces the named one.
 */
export type ToolChoice = { type: 'auto' } | { type: 'none' } | { type: 'required' } | { type: 'tool'; toolName: string };

/** How hard a reasoning model should think (OpenAI's `reasoning_effort`); `none` turns thinking off where the provider allows. */
export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';

/** Provider-neutral request. `model` is the id as the provider names it (no `name:` prefix). */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  top_p?: number;
  /** Upper bound on completion tokens (the answer's; providers that count thinking separately add their budget). */
  max_tokens?: number;
  stop?: string | string[];
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  /** Functions the model may call; none when empty or unset. */
  tools?: FunctionTool[];
  /** Only meaningful with `tools`. */
  tool_choice?: ToolChoice;
  /** Thinking effort for reasoning models; unset leaves the provider's (or Parley's configured) default. */
  reasoning_effort?: ReasoningEffort;
  user?: string;
}

/** Token usage, OpenAI names; `cost` in USD when the provider reports it. */
export interface Usage {
  prompt_tokens: number;
  /** Every generated token, reasoning included (as OpenAI counts them). */
  completion_tokens: number;
  /** The part of `completion_tokens` spent on reasoning. */
  reasoning_tokens: number;
  /** The part of `prompt_tokens` read from the provider's prompt cache. */
  cached_tokens: number;
  /** What the provider charged for the call, USD, when it reports it (OpenRouter `usage.cost`; xAI `cost_in_usd_ticks` / 1e10). */
  cost?: number;
  /**
   * The answer was replayed from Parley's response cache: no provider call
   * was made, so every count above is 0 and `cost` is absent.
   */
  cache_hit?: boolean;
  /** With `cache_hit`: the tokens (prompt + completion) the original answer cost, saved by the replay. */
  saved_tokens?: number;
}

/** OpenAI's finish reasons, plus `cancelled` for runs stopped on request. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'cancelled';

/** One part of a provider-neutral stream (DESIGN.md "Provider-neutral stream parts"). */
export type StreamPart =
  | { type: 'reasoning.delta'; text: string }
  | { type: 'message.delta'; text: string }
  | { type: 'tool_call.delta'; index: number; id?: string; name?: string; arguments?: string }
  | { type: 'usage'; usage: Usage }
  /**
   * The answer is complete. `providerMetadata` is what the adapter needs back
   * with this answer on later turns; the run stores it with the assistant message.
   */
  | { type: 'finish'; finish_reason: FinishReason; providerMetadata?: ProviderMetadata }
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
  /**
   * The caller waits for the whole answer and nobody reads it as it streams
   * (a stateless `/v1` call with `stream: false`): the provider may make one
   * non-streamed upstream call and yield its parts at once, in the order and
   * with the errors a stream would give. Providers that ignore it stream.
   */
  wholeAnswer?: boolean;
}

/** A configured model provider. */
export interface Provider {
  /** The configured name, used as the `name:` model prefix (`openrouter`, `anthropic`, `mock`, …). */
  readonly name: string;
  /** Model used when a request names none. */
  readonly defaultModel: string;
  /** Attachments it takes; unset: text only. */
  readonly inputs?: ProviderInputs;
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
