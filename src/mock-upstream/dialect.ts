/**
 * What differs between the provider APIs the mock upstream speaks (see
 * `MockMode`): routes, auth, request parsing, error bodies, the model list and
 * the scripted answer's wire format. The server, pacing and fault injection are
 * shared; a dialect only describes its API.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ChatRequest } from '../providers/types.js';
import type { MockUpstreamOptions } from './options.js';

/** An answer sent whole: status, JSON text, extra headers. */
export interface JsonAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** A chat call recognised by its method and path. */
export interface ChatRoute {
  /** Decided by the path (Gemini's `:streamGenerateContent`); otherwise by the body. */
  stream?: boolean;
  /** Named by the path (Gemini); otherwise by the body. */
  model?: string;
}

/** A chat request as the script needs it, and how to answer it. */
export interface ParsedChat {
  request: ChatRequest;
  stream: boolean;
  /** OpenAI's `stream_options.include_usage`; the other APIs always send usage. */
  includeUsage: boolean;
}

/** Identity shared by every chunk of one completion. */
export interface CompletionIdentity {
  /** `chatcmpl-…`, `msg_…` or a Gemini response id. */
  id: string;
  /** Unix seconds. */
  created: number;
  /** The model id as the request named it. */
  model: string;
}

/** What a streamed answer consists of: SSE events in order and the end marker. */
export interface StreamFrames {
  frames: string[];
  terminator: string;
}

/** One provider API. */
export interface MockDialect {
  /** Path of the base URL clients are given: `/v1`, `` (Anthropic's SDK root) or `/v1beta`. */
  readonly basePath: string;
  /** Prefix of generated completion ids. */
  readonly idPrefix: string;
  /** The in-stream error event of an `errorEventAfter` fault. */
  readonly errorFrame: string;
  /** Whether the path is an API route, where the key is checked. */
  isApiPath(path: string): boolean;
  /** Whether the request lists models. */
  modelsRoute(method: string, path: string): boolean;
  /** The chat call the request is, if it is one. */
  chatRoute(method: string, path: string, query: URLSearchParams): ChatRoute | undefined;
  /** Whether the request carries `apiKey` where this API expects it. */
  authorized(headers: IncomingHttpHeaders, query: URLSearchParams, apiKey: string): boolean;
  /** The answer to a missing or wrong key. */
  unauthorized(headers: IncomingHttpHeaders, query: URLSearchParams): JsonAnswer;
  /** The answer to an unknown route. */
  notFound(route: string): JsonAnswer;
  /** The answer to a body that is not JSON. */
  invalidJson(): JsonAnswer;
  /** Checks a chat body; the answer to send instead when it is invalid. */
  parseChat(body: unknown, route: ChatRoute, headers: IncomingHttpHeaders): ParsedChat | JsonAnswer;
  /** The answer to a model not in `models`. */
  unknownModel(model: string): JsonAnswer;
  /** The answer of a `failStatus` fault; a 429 says when to retry. */
  statusFault(status: number, retryAfterSeconds: number): JsonAnswer;
  /** The answer of an `errorEventAfter` fault to a non-streaming request. */
  errorEventAnswer(): JsonAnswer;
  /** JSON text of the model list. */
  modelsBody(models: readonly string[]): string;
  /** The scripted streamed answer. */
  scriptedFrames(request: ChatRequest, identity: CompletionIdentity, options: MockUpstreamOptions, includeUsage: boolean): StreamFrames;
  /** JSON text of the scripted non-streaming answer. */
  scriptedCompletion(request: ChatRequest, identity: CompletionIdentity, options: MockUpstreamOptions): string;
}

/** `Unix seconds` at which the mock's models were "created". */
export const MODELS_CREATED = 1_700_000_000;

/** Text of a message content that is a string or an array of `{type: "text", text}` blocks/parts. */
export function contentText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  return content
    .map((part: unknown) =>
      typeof part === 'object' && part !== null && 'text' in part && typeof part.text === 'string' ? part.text : '',
    )
    .join('');
}
