/**
 * Upstream failures → {@link ParleyError}. Statuses follow OpenAI's error codes
 * (https://platform.openai.com/docs/guides/error-codes), which the compatible
 * servers copy; the error body is OpenAI's `{"error": {"message", "type", "param",
 * "code"}}` or one of its common variants (`{"error": "…"}`, vLLM's top-level
 * `{"message", "code"}`, FastAPI's `{"detail"}`).
 *
 * Messages name the provider and say what happened, but never carry a key, a
 * host address or an HTML error page: they reach end users in 502 bodies. The
 * raw error stays in `cause` for the log.
 */
import { ParleyError } from '../../errors.js';

/** Header bag as undici returns it. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** What is known about the call that failed. */
export interface UpstreamCallContext {
  /** Provider name for the message. */
  provider: string;
  /** Model asked for; unset for calls that name none (`GET /models`). */
  model?: string;
  /** The configured key, redacted from any upstream text that echoes it. */
  apiKey?: string;
}

/** The parts of an upstream error body that matter. */
interface UpstreamErrorDetails {
  message?: string;
  code?: string;
  param?: string;
}

const MAX_MESSAGE_LENGTH = 500;

// Key-shaped tokens: `sk-…`, `gsk_…`, `xai-…`, `sk-or-v1-…`, bearer tokens, and any
// long unbroken run of key alphabet (also catches masked keys like `sk-pr****abcd`).
const SECRET_PATTERNS = [
  /\b(?:sk|pk|rk|gsk|xai|key|api[-_]?key)[-_][A-Za-z0-9_*.-]{6,}/gi,
  /\bBearer\s+\S+/gi,
  /[A-Za-z0-9_*-]{32,}/g,
];

/**
 * Makes upstream text safe to show: removes key-like tokens (and the configured
 * key verbatim), collapses whitespace, and cuts it to 500 characters.
 */
export function sanitizeUpstreamMessage(text: string, apiKey?: string): string {
  let clean = text;
  if (apiKey !== undefined && apiKey.length >= 4) clean = clean.split(apiKey).join('[redacted]');
  for (const pattern of SECRET_PATTERNS) clean = clean.replace(pattern, '[redacted]');
  clean = clean.replace(/\s+/g, ' ').trim();
  return clean.length > MAX_MESSAGE_LENGTH ? `${clean.slice(0, MAX_MESSAGE_LENGTH)}…` : clean;
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads message, code and param from the error-body variants named in the module doc. */
export function parseErrorDetails(value: unknown): UpstreamErrorDetails {
  if (!isRecord(value)) return {};
  const inner = isRecord(value.error) ? value.error : value;
  const detail = Array.isArray(value.detail) ? JSON.stringify(value.detail) : value.detail;
  return {
    message: asText(inner.message) ?? asText(value.error) ?? asText(detail),
    code: asText(inner.code) ?? asText(inner.type),
    param: asText(inner.param),
  };
}

function parseErrorBody(bodyText: string): UpstreamErrorDetails {
  try {
    return parseErrorDetails(JSON.parse(bodyText) as unknown);
  } catch {
    // Not JSON: a short plain-text body is still useful; an HTML page is not.
    const trimmed = bodyText.trim();
    return trimmed === '' || trimmed.startsWith('<') ? {} : { message: trimmed.slice(0, 300) };
  }
}

// Phrasings of "no such model" across OpenAI, Groq, vLLM ("The model `x` does not
// exist"), DeepSeek ("Model Not Exist"), Ollama ("model "x" not found"), OpenRouter
// ("x is not a valid model ID"), Together ("Unable to access model x"), Mistral
// ("Invalid model: x") — they use different statuses (400, 404) for it.
const MODEL_MISSING =
  /model_not_found|\bmodel\b[^.\n]{0,80}?\b(?:does not exist|not exist|not found|no longer available)|not a valid model|(?:unknown|invalid|no such|unable to access) model\b/i;

/** True when an error code or message says the requested model does not exist. */
export function saysModelMissing(details: UpstreamErrorDetails): boolean {
  return MODEL_MISSING.test(details.code ?? '') || MODEL_MISSING.test(details.message ?? '');
}

function firstHeader(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `Retry-After` for a 429/503 answer: the upstream's own header (seconds or an
 * HTTP date) when present, else OpenAI's `retry-after-ms` rounded up to whole
 * seconds, else `'1'`.
 */
export function retryAfterSeconds(headers: ResponseHeaders): string {
  const retryAfter = firstHeader(headers, 'retry-after')?.trim();
  if (retryAfter !== undefined && retryAfter !== '') return retryAfter;
  const milliseconds = Number(firstHeader(headers, 'retry-after-ms'));
  if (Number.isFinite(milliseconds) && milliseconds > 0) return String(Math.ceil(milliseconds / 1000));
  return '1';
}

/**
 * Maps a non-2xx upstream answer.
 * - 401, 403, 402 (OpenRouter: no credits) → `upstream_auth_failed` (the operator must act)
 * - 404, or any status whose body says the model does not exist → `model_not_found`
 *   (for calls without a model a 404 means the route is missing → `upstream_unavailable`)
 * - 429 → `upstream_rate_limited` with `Retry-After`
 * - 400, 409, 422 → `validation_failed` with the upstream message and `param`;
 *   413 → `payload_too_large`; a content-filter code → `content_filtered`
 * - 408 → `upstream_timeout`; 5xx and anything else → `upstream_unavailable`
 *
 * @param status HTTP status code.
 * @param headers response headers (for `Retry-After`).
 * @param bodyText at most ~8 KiB of the body, decoded as UTF-8.
 */
export function fromHttpStatus(status: number, headers: ResponseHeaders, bodyText: string, context: UpstreamCallContext): ParleyError {
  const details = parseErrorBody(bodyText);
  const upstreamMessage = details.message === undefined ? '' : sanitizeUpstreamMessage(details.message, context.apiKey);
  const suffix = upstreamMessage === '' ? '' : `: ${upstreamMessage}`;
  const cause = { status, body: sanitizeUpstreamMessage(bodyText, context.apiKey) };
  const where = `Provider "${context.provider}"`;

  if (context.model !== undefined && (status === 404 || saysModelMissing(details))) {
    // The upstream wording stays: a 404 can also mean a base URL without its `/v1`.
    const upstreamSays = upstreamMessage === '' ? '' : ` (upstream: ${upstreamMessage})`;
    return new ParleyError('model_not_found', `Model "${context.model}" does not exist on provider "${context.provider}"${upstreamSays}.`, {
      param: 'model',
      cause,
    });
  }
  if (status === 401 || status === 403) {
    return new ParleyError('upstream_auth_failed', `${where} rejected the credentials (HTTP ${status})${suffix}`, { cause });
  }
  if (status === 402) {
    return new ParleyError('upstream_auth_failed', `${where} refused the request for billing reasons (HTTP 402)${suffix}`, { cause });
  }
  if (status === 429) {
    return new ParleyError('upstream_rate_limited', `${where} is rate limiting requests (HTTP 429)${suffix}`, {
      headers: { 'Retry-After': retryAfterSeconds(headers) },
      cause,
    });
  }
  if (/content[_ ]?(?:filter|policy)/i.test(details.code ?? '')) {
    return new ParleyError('content_filtered', `${where} refused the content${suffix}`, { cause });
  }
  if (status === 400 || status === 409 || status === 422) {
    const param = details.param === undefined ? {} : { param: details.param };
    return new ParleyError('validation_failed', `${where} rejected the request (HTTP ${status})${suffix}`, { ...param, cause });
  }
  if (status === 413) {
    return new ParleyError('payload_too_large', `${where} found the request too large (HTTP 413)${suffix}`, { cause });
  }
  if (status === 408) {
    return new ParleyError('upstream_timeout', `${where} timed out (HTTP 408)${suffix}`, { cause });
  }
  const retryAfter = firstHeader(headers, 'retry-after');
  return new ParleyError('upstream_unavailable', `${where} failed (HTTP ${status})${suffix}`, {
    ...(retryAfter === undefined ? {} : { headers: { 'Retry-After': retryAfter } }),
    cause,
  });
}

/**
 * Maps an `error` object that arrives with HTTP 200: inside the stream
 * (OpenRouter's mid-stream errors, vLLM's `{"error": …}` event) or as a JSON body
 * where a stream was expected.
 * Model-missing errors become `model_not_found`, everything else
 * `upstream_unavailable`.
 */
export function fromStreamError(error: unknown, context: UpstreamCallContext): ParleyError {
  const details = typeof error === 'string' ? { message: error } : parseErrorDetails({ error });
  if (context.model !== undefined && saysModelMissing(details)) {
    return new ParleyError('model_not_found', `Model "${context.model}" does not exist on provider "${context.provider}".`, { param: 'model', cause: error });
  }
  const message = details.message === undefined ? 'no message' : sanitizeUpstreamMessage(details.message, context.apiKey);
  return new ParleyError('upstream_unavailable', `Provider "${context.provider}" reported an error: ${message}`, { cause: error });
}

// Descriptions of the transport failures users meet, by `code`; deliberately no
// host or port, which `error.message` would reveal.
const TRANSPORT_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed while sending',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'socket closed by the other side',
  UND_ERR_CLOSED: 'client closed',
  UND_ERR_DESTROYED: 'client destroyed',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'response shorter than announced',
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: 'request length mismatch',
  UND_ERR_INFO: 'invalid response',
  HPE_INVALID_CHUNK_SIZE: 'malformed chunked encoding',
};

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** The `code` of a Node/undici error, looking through `cause` and AggregateError. */
export function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; isRecord(current) && depth < 4; depth += 1) {
    if (typeof current.code === 'string') return current.code;
    const nested: unknown = Array.isArray(current.errors) ? (current.errors as unknown[])[0] : current.cause;
    current = nested;
  }
  return undefined;
}

/**
 * Maps a thrown transport error (connection refused/reset, socket closed, undici
 * timeouts, anything unexpected). Timeouts → `upstream_timeout`; the rest →
 * `upstream_unavailable`, worded as a cut-off when bytes had already arrived.
 *
 * @param afterFirstByte whether any body byte had arrived before the failure.
 */
export function fromTransportError(error: unknown, context: UpstreamCallContext, afterFirstByte: boolean): ParleyError {
  const code = errorCode(error);
  const where = `provider "${context.provider}"`;
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new ParleyError('upstream_timeout', `The request to ${where} timed out (${code}).`, { cause: error });
  }
  const reason = code === undefined ? 'unexpected failure' : `${TRANSPORT_CODES[code] ?? 'connection failed'} (${code})`;
  const message = afterFirstByte
    ? `The stream from ${where} was cut off before it finished: ${reason}.`
    : `Could not reach ${where}: ${reason}.`;
  return new ParleyError('upstream_unavailable', message, { cause: error });
}

/** No response headers or first body byte within `firstByteTimeoutMs`. */
export function firstByteTimeoutError(context: UpstreamCallContext, timeoutMs: number): ParleyError {
  return new ParleyError('upstream_timeout', `Provider "${context.provider}" sent nothing within ${timeoutMs} ms.`);
}

/** The stream stalled: no byte for `timeoutMs` after it had started. */
export function idleTimeoutError(context: UpstreamCallContext, timeoutMs: number): ParleyError {
  return new ParleyError('upstream_timeout', `The stream from provider "${context.provider}" stalled: nothing for ${timeoutMs} ms.`);
}

/** The body ended without a `finish_reason` or `data: [DONE]`: never a silent truncation. */
export function streamCutOffError(context: UpstreamCallContext, afterFirstByte: boolean): ParleyError {
  return new ParleyError(
    'upstream_unavailable',
    afterFirstByte
      ? `The stream from provider "${context.provider}" was cut off before it finished (no finish_reason or [DONE]).`
      : `Provider "${context.provider}" ended the response without sending anything.`,
  );
}

/** A `data:` payload that is not JSON or not a chat.completion.chunk. */
export function badResponseError(context: UpstreamCallContext, reason: string, cause?: unknown): ParleyError {
  return new ParleyError('upstream_bad_response', `Provider "${context.provider}" sent a malformed stream chunk: ${reason}`, {
    ...(cause === undefined ? {} : { cause }),
  });
}
