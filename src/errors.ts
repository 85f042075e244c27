/**
 * Every error Parley answers with, in one place: its stable `code`, HTTP status,
 * whether a retry can help, and what the client should do about it.
 *
 * The JSON body is `{"error": {"code", "message", "type", "param"?}}` on every
 * surface; `/v1` uses the same object, which is OpenAI's error shape
 * (https://platform.openai.com/docs/guides/error-codes).
 */

/** Catalogue of error codes: status, retryable, and advice for the client. */
export const ERROR_CODES = {
  invalid_json: { status: 400, retryable: false, advice: 'Send a syntactically valid JSON body.' },
  validation_failed: { status: 400, retryable: false, advice: 'Fix the field named in the message.' },
  content_filtered: { status: 400, retryable: false, advice: 'Rephrase the message; it matched the content filter.' },
  missing_api_key: { status: 401, retryable: false, advice: 'Send the key as x-api-key or Authorization: Bearer.' },
  invalid_api_key: { status: 403, retryable: false, advice: 'Use a valid, unrevoked key.' },
  forbidden_origin: { status: 403, retryable: false, advice: 'Open the WebSocket from a page whose origin is listed in CORS_ORIGINS.' },
  not_found: { status: 404, retryable: false, advice: 'Check the path.' },
  conversation_not_found: { status: 404, retryable: false, advice: 'Check the conversation id; it may have been deleted.' },
  message_not_found: { status: 404, retryable: false, advice: 'Check the message id.' },
  run_not_found: { status: 404, retryable: false, advice: 'Check the run id; finished runs expire from the event log.' },
  response_not_found: { status: 404, retryable: false, advice: 'Check the response id; responses made with store: false expire with the run log.' },
  task_not_found: { status: 404, retryable: false, advice: 'The task id is unknown or expired; start a new task.' },
  model_not_found: { status: 404, retryable: false, advice: 'Pick a model from GET /models or GET /v1/models.' },
  method_not_allowed: { status: 405, retryable: false, advice: 'Use a method the route supports (listed in Allow).' },
  request_timeout: { status: 408, retryable: true, advice: 'Send the whole request promptly; the connection was idle too long.' },
  conflict: { status: 409, retryable: true, advice: 'Wait for the running generation to finish or cancel it.' },
  payload_too_large: { status: 413, retryable: false, advice: 'Send a smaller body or fewer/shorter messages.' },
  unsupported_media_type: { status: 415, retryable: false, advice: 'Send Content-Type: application/json.' },
  headers_too_large: { status: 431, retryable: false, advice: 'Send fewer or shorter request headers.' },
  upgrade_required: { status: 426, retryable: false, advice: 'Connect with a WebSocket client (Upgrade: websocket).' },
  rate_limited: { status: 429, retryable: true, advice: 'Wait for Retry-After seconds, then retry.' },
  upstream_rate_limited: { status: 429, retryable: true, advice: 'The provider is rate limiting; wait for Retry-After.' },
  internal_error: { status: 500, retryable: true, advice: 'Retry; report the X-Request-ID if it persists.' },
  upstream_auth_failed: { status: 502, retryable: false, advice: 'The operator must fix the provider key.' },
  upstream_unavailable: { status: 502, retryable: true, advice: 'The provider failed or is unreachable; retry later.' },
  upstream_bad_response: { status: 502, retryable: true, advice: 'The provider sent a malformed stream; retry.' },
  shutting_down: { status: 503, retryable: true, advice: 'The server is restarting; retry on another instance.' },
  run_log_full: { status: 503, retryable: true, advice: 'The server holds too many answers in memory (PARLEY_RUN_LOG_MAX_BYTES); retry shortly.' },
  moderation_unavailable: { status: 503, retryable: true, advice: 'The content moderation service is unreachable; retry later.' },
  upstream_timeout: { status: 504, retryable: true, advice: 'The provider sent nothing in time; retry later.' },
} as const satisfies Record<string, { status: number; retryable: boolean; advice: string }>;

/** A stable machine-readable error code from {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Options for {@link ParleyError}: the offending field, when to retry, the cause. */
export interface ParleyErrorOptions {
  /** Request field the error is about (OpenAI's `param`), e.g. `messages[2].content`. */
  param?: string;
  /**
   * Seconds the client should wait before retrying (a provider's `Retry-After`,
   * already parsed from seconds or an HTTP date; Parley's own rate limit window).
   * Only the HTTP layer turns it into a `Retry-After` header.
   */
  retryAfterSeconds?: number;
  /** For `method_not_allowed`: the methods the path takes (the HTTP layer's `Allow` header). */
  allowedMethods?: readonly string[];
  cause?: unknown;
}

/**
 * The one error base class. Thrown anywhere in Parley; the HTTP error handler
 * turns it into the JSON error body and status, stream views into a terminal
 * error event.
 */
export class ParleyError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly param: string | undefined;
  /** Seconds to wait before retrying, when known (see {@link ParleyErrorOptions.retryAfterSeconds}). */
  readonly retryAfterSeconds: number | undefined;
  /** Methods the path takes, for `method_not_allowed`. */
  readonly allowedMethods: readonly string[] | undefined;

  constructor(code: ErrorCode, message: string, options: ParleyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ParleyError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.retryable = ERROR_CODES[code].retryable;
    this.param = options.param;
    this.allowedMethods = options.allowedMethods;
    this.retryAfterSeconds =
      options.retryAfterSeconds !== undefined && Number.isFinite(options.retryAfterSeconds) && options.retryAfterSeconds >= 0
        ? options.retryAfterSeconds
        : undefined;
  }

  /** The wire form shared by every surface (OpenAI's error object plus `code`). */
  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        type: errorType(this.status),
        ...(this.param === undefined ? {} : { param: this.param }),
      },
    };
  }
}

/** JSON error body: `{"error": {"code", "message", "type", "param"?}}`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; type: string; param?: string };
}

function errorType(status: number): string {
  if (status === 401 || status === 403) return 'authentication_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/** Wraps anything thrown into a ParleyError without leaking internals for 5xx. */
export function toParleyError(error: unknown): ParleyError {
  if (error instanceof ParleyError) return error;
  return new ParleyError('internal_error', 'Internal server error.', { cause: error });
}
