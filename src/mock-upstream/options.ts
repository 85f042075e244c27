/**
 * Settings of the standalone mock upstream (`parley mock-upstream`): where it
 * listens, how fast it streams, what it streams, and which fault it injects.
 * Every field can be changed on a running server (except `host` and `port`), so
 * one process can serve a whole test file.
 */

/**
 * Which provider API the mock speaks: OpenAI chat completions (`/v1/chat/completions`),
 * Anthropic Messages (`/v1/messages`) or the Gemini API
 * (`/v1beta/models/{model}:streamGenerateContent`). Routes, request and error
 * bodies, auth headers and the scripted answer all follow the mode.
 */
export type MockMode = 'openai' | 'anthropic' | 'gemini';

/** Every mode, for flags and checks. */
export const MOCK_MODES: readonly MockMode[] = ['openai', 'anthropic', 'gemini'];

/** Where reasoning deltas go: DeepSeek/vLLM use `reasoning_content`, Groq/OpenRouter `reasoning`. */
export type ReasoningField = 'reasoning_content' | 'reasoning';

/** Options of the mock upstream. Counts are chunks, durations milliseconds unless named otherwise. */
export interface MockUpstreamOptions {
  /** Interface to bind. Default `127.0.0.1`. */
  host: string;
  /** TCP port; 0 picks a free one (read it back from `MockUpstream.port`). Default 8787. */
  port: number;
  /** Provider API spoken; fixed for the server's life. Default `openai`. */
  mode: MockMode;
  /**
   * Delay before any byte of a chat completion (headers included), so "no first
   * byte" timeouts can be tested. Error answers are not delayed. Default 0.
   */
  ttftMs: number;
  /** Streamed chunks per second after the first; 0 sends them all at once. Default 0. */
  tokenRate: number;
  /** Answer chunks of the scripted reply (see `mockScript`). Default 24. */
  chunkCount: number;
  /** Reasoning chunks before the answer (Anthropic: a thinking block; Gemini: thought parts). Default 0. */
  reasoningChunks: number;
  /** Delta field that carries reasoning. Default `reasoning_content`. */
  reasoningField: ReasoningField;
  /**
   * A recorded stream (one JSON chunk per line, see the upstream-streams
   * fixtures) to replay verbatim instead of the script; any model is accepted.
   * Files named `anthropic-*` are replayed as Anthropic Messages events, files
   * named `google-*` as Gemini events (no `[DONE]` for either).
   */
  replayFile: string | undefined;
  /** Answer chat requests with this HTTP status and the mode's error body. */
  failStatus: number | undefined;
  /** `Retry-After` seconds sent with a 429 `failStatus`. Default 1. */
  retryAfterSeconds: number;
  /**
   * After N streamed chunks (the role chunk is the first; `[DONE]` is not a
   * chunk) send nothing more but keep the socket open. With N beyond the last
   * chunk the fault fires just before `[DONE]`. Non-streaming: never answer.
   */
  stallAfter: number | undefined;
  /** After N streamed chunks destroy the socket (no `[DONE]`). Non-streaming: destroy at once. */
  dropAfter: number | undefined;
  /** After N streamed chunks send `data: {not json` and end the response. Non-streaming: a `{not json` body. */
  malformedAfter: number | undefined;
  /**
   * After N streamed chunks send the mode's in-stream error event (OpenAI and
   * Gemini: a `data: {"error": …}` event; Anthropic: `event: error` with an
   * `overloaded_error`) and end the response. Non-streaming: a 503 / 529 answer.
   */
  errorEventAfter: number | undefined;
  /**
   * Apply the fault (`failStatus`, `stallAfter`, `dropAfter`, `malformedAfter`,
   * `errorEventAfter`) to the next N chat requests only, then clear it; undefined = every request.
   */
  faultTimes: number | undefined;
  /** Model ids listed by `/v1/models` and accepted by chat. Default `['mock-model', 'mock/reasoner']`. */
  models: string[];
  /**
   * When set, the API routes require the mode's key header (`Authorization: Bearer`
   * or `x-api-key`; Anthropic `x-api-key`; Gemini `x-goog-api-key` or `?key=`)
   * and answer the mode's 401 / 400 otherwise.
   */
  apiKey: string | undefined;
  /** Answer 404 `model_not_found` for a model not in `models` (ignored in replay mode). Default true. */
  unknownModel404: boolean;
}

/** Defaults for every option. */
export const DEFAULT_MOCK_UPSTREAM_OPTIONS: Readonly<MockUpstreamOptions> = Object.freeze({
  host: '127.0.0.1',
  port: 8787,
  mode: 'openai',
  ttftMs: 0,
  tokenRate: 0,
  chunkCount: 24,
  reasoningChunks: 0,
  reasoningField: 'reasoning_content',
  replayFile: undefined,
  failStatus: undefined,
  retryAfterSeconds: 1,
  stallAfter: undefined,
  dropAfter: undefined,
  malformedAfter: undefined,
  errorEventAfter: undefined,
  faultTimes: undefined,
  models: ['mock-model', 'mock/reasoner'],
  apiKey: undefined,
  unknownModel404: true,
});

/** The fault a chat request receives, if any. */
export type Fault =
  | { kind: 'status'; status: number }
  | { kind: 'stall' | 'drop' | 'malformed' | 'error-event'; after: number };

/**
 * The fault the options describe, or undefined. A status fault wins; among the
 * chunk faults the one that fires first (smallest N) wins.
 */
export function configuredFault(options: MockUpstreamOptions): Fault | undefined {
  if (options.failStatus !== undefined) return { kind: 'status', status: options.failStatus };
  let fault: Extract<Fault, { after: number }> | undefined;
  const candidates = [
    ['drop', options.dropAfter],
    ['malformed', options.malformedAfter],
    ['error-event', options.errorEventAfter],
    ['stall', options.stallAfter],
  ] as const;
  for (const [kind, after] of candidates) {
    if (after !== undefined && (fault === undefined || after < fault.after)) fault = { kind, after };
  }
  return fault;
}

type Kind = 'string' | 'boolean' | 'count' | 'positive' | 'rate' | 'status' | 'field' | 'models';

/** How each patchable field is checked; `null` in a patch clears an optional field. */
const FIELD_KINDS: Record<Exclude<keyof MockUpstreamOptions, 'host' | 'port' | 'mode'>, { kind: Kind; optional: boolean }> = {
  ttftMs: { kind: 'count', optional: false },
  tokenRate: { kind: 'rate', optional: false },
  chunkCount: { kind: 'positive', optional: false },
  reasoningChunks: { kind: 'count', optional: false },
  reasoningField: { kind: 'field', optional: false },
  replayFile: { kind: 'string', optional: true },
  failStatus: { kind: 'status', optional: true },
  retryAfterSeconds: { kind: 'count', optional: false },
  stallAfter: { kind: 'count', optional: true },
  dropAfter: { kind: 'count', optional: true },
  malformedAfter: { kind: 'count', optional: true },
  errorEventAfter: { kind: 'count', optional: true },
  faultTimes: { kind: 'positive', optional: true },
  models: { kind: 'models', optional: false },
  apiKey: { kind: 'string', optional: true },
  unknownModel404: { kind: 'boolean', optional: false },
};

function isValid(kind: Kind, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string' && value !== '';
    case 'boolean':
      return typeof value === 'boolean';
    case 'count':
      return Number.isInteger(value) && (value as number) >= 0;
    case 'positive':
      return Number.isInteger(value) && (value as number) >= 1;
    case 'rate':
      return typeof value === 'number' && Number.isFinite(value) && value >= 0;
    case 'status':
      return Number.isInteger(value) && (value as number) >= 400 && (value as number) <= 599;
    case 'field':
      return value === 'reasoning_content' || value === 'reasoning';
    case 'models':
      return Array.isArray(value) && value.every((id) => typeof id === 'string' && id !== '');
  }
}

/**
 * Checks a patch received as JSON (admin route) or from code. `null` or
 * `undefined` clears an optional field; `undefined` leaves a required one as
 * it is. Returns the patch with `null`s turned into `undefined`.
 * Throws TypeError naming the first bad field; `host`, `port` and `mode` are
 * rejected because a running server cannot move or change its API.
 */
export function parseOptionsPatch(value: unknown): Partial<MockUpstreamOptions> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('options patch must be a JSON object');
  }
  const patch: Record<string, unknown> = {};
  for (const [key, fieldValue] of Object.entries(value)) {
    const spec = FIELD_KINDS[key as keyof typeof FIELD_KINDS] as { kind: Kind; optional: boolean } | undefined;
    if (spec === undefined) throw new TypeError(`option "${key}" is unknown or cannot change while running`);
    if (fieldValue === undefined && !spec.optional) continue;
    if (fieldValue === null || fieldValue === undefined) {
      if (!spec.optional) throw new TypeError(`option "${key}" cannot be cleared`);
      patch[key] = undefined;
    } else if (!isValid(spec.kind, fieldValue)) {
      throw new TypeError(`option "${key}" has an invalid value: ${JSON.stringify(fieldValue)}`);
    } else {
      patch[key] = spec.kind === 'models' ? [...(fieldValue as string[])] : fieldValue;
    }
  }
  return patch;
}
