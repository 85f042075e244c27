/**
 * Failures every provider meets on the wire, whatever its API: connection
 * errors, timeouts, streams cut off before their end, malformed events. Each
 * becomes a {@link ParleyError} whose message names the provider and says what
 * happened, but never carries a key, a host address or an HTML page: these
 * messages reach end users in 502 bodies. The raw error stays in `cause` for the log.
 *
 * Provider folders map their own error bodies and statuses (./errors.ts there)
 * and use these for the rest.
 */
import { ParleyError } from '../../errors.js';

/** What is known about the call that failed. */
export interface UpstreamCallContext {
  /** Provider name for the message. */
  provider: string;
  /** Model asked for; unset for calls that name none (`GET /models`). */
  model?: string;
  /** The configured key, redacted from any upstream text that echoes it. */
  apiKey?: string;
}

const MAX_MESSAGE_LENGTH = 500;

// Key-shaped tokens: `sk-…`, `gsk_…`, `xai-…`, `sk-or-v1-…`, `sk-ant-…`, `AIza…`, bearer
// tokens, and any long unbroken run of key alphabet (also catches masked keys like `sk-pr****abcd`).
const SECRET_PATTERNS = [
  /\b(?:sk|pk|rk|gsk|xai|key|api[-_]?key)[-_][A-Za-z0-9_*.-]{6,}/gi,
  /\bAIza[A-Za-z0-9_-]{10,}/g,
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

/** `JSON.parse` that answers undefined instead of throwing (error bodies may be HTML or empty). */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Narrows to a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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

/**
 * The body ended before the provider's end of answer (a finish reason, `[DONE]`,
 * `message_stop` …): never a silent truncation.
 */
export function streamCutOffError(context: UpstreamCallContext, afterFirstByte: boolean): ParleyError {
  return new ParleyError(
    'upstream_unavailable',
    afterFirstByte
      ? `The stream from provider "${context.provider}" was cut off before it finished (no end of answer).`
      : `Provider "${context.provider}" ended the response without sending anything.`,
  );
}

/**
 * An event payload (or, with `what` = `answer`, a whole non-streamed answer)
 * that is not JSON or does not match the provider's schema.
 */
export function badResponseError(context: UpstreamCallContext, reason: string, cause?: unknown, what = 'stream chunk'): ParleyError {
  return new ParleyError('upstream_bad_response', `Provider "${context.provider}" sent a malformed ${what}: ${reason}`, {
    ...(cause === undefined ? {} : { cause }),
  });
}
