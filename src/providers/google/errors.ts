/**
 * Gemini API errors → {@link ParleyError}. The body is Google's
 * `{"error": {"code", "message", "status", "details"}}`
 * (https://ai.google.dev/gemini-api/docs/troubleshooting#error-codes); the
 * canonical `status` decides, the HTTP status is the fallback:
 * - `RESOURCE_EXHAUSTED` (429) → `upstream_rate_limited`, retry after the
 *   `RetryInfo.retryDelay` detail (or a `Retry-After` header)
 * - `UNAUTHENTICATED`, `PERMISSION_DENIED`, and `INVALID_ARGUMENT` with reason
 *   `API_KEY_INVALID` → `upstream_auth_failed`
 * - `NOT_FOUND` (404) → `model_not_found` for a call that names a model
 * - `INVALID_ARGUMENT` / `FAILED_PRECONDITION` / `OUT_OF_RANGE` (400) → `validation_failed`
 * - `DEADLINE_EXCEEDED` (504) → `upstream_timeout`; `INTERNAL`, `UNAVAILABLE` … → `upstream_unavailable`
 */
import { ParleyError, type ErrorCode } from '../../errors.js';
import { retryAfterFromHeaders, type ResponseHeaders } from '../provider-utils/retry-after.js';
import { isRecord, parseJsonOrUndefined, sanitizeUpstreamMessage, type UpstreamCallContext } from '../provider-utils/upstream-errors.js';

/** The parts of a Google error that matter. */
export interface GoogleErrorDetails {
  status?: string;
  message?: string;
  /** `ErrorInfo.reason`, e.g. `API_KEY_INVALID`. */
  reason?: string;
  /** `RetryInfo.retryDelay` in seconds. */
  retryDelaySeconds?: number;
}

/** Reads a protobuf JSON `Duration` (`"34.4s"`) as seconds. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Reads status, message, reason and retry delay from an error body (anything else gives `{}`). */
export function errorDetails(value: unknown): GoogleErrorDetails {
  const error = isRecord(value) && isRecord(value.error) ? value.error : undefined;
  if (error === undefined) return {};
  const details: GoogleErrorDetails = {};
  if (typeof error.status === 'string') details.status = error.status;
  if (typeof error.message === 'string' && error.message.trim() !== '') details.message = error.message;
  for (const detail of Array.isArray(error.details) ? (error.details as unknown[]) : []) {
    if (!isRecord(detail)) continue;
    if (typeof detail.reason === 'string') details.reason = detail.reason;
    const delay = parseDuration(detail.retryDelay);
    if (delay !== undefined) details.retryDelaySeconds = delay;
  }
  return details;
}

const CODE_BY_STATUS: Record<string, ErrorCode> = {
  INVALID_ARGUMENT: 'validation_failed',
  FAILED_PRECONDITION: 'validation_failed',
  OUT_OF_RANGE: 'validation_failed',
  UNAUTHENTICATED: 'upstream_auth_failed',
  PERMISSION_DENIED: 'upstream_auth_failed',
  NOT_FOUND: 'model_not_found',
  RESOURCE_EXHAUSTED: 'upstream_rate_limited',
  DEADLINE_EXCEEDED: 'upstream_timeout',
  INTERNAL: 'upstream_unavailable',
  UNAVAILABLE: 'upstream_unavailable',
  UNKNOWN: 'upstream_unavailable',
  CANCELLED: 'upstream_unavailable',
};

function codeByHttpStatus(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'upstream_auth_failed';
  if (status === 404) return 'model_not_found';
  if (status === 429) return 'upstream_rate_limited';
  if (status === 413) return 'payload_too_large';
  if (status === 400 || status === 409 || status === 422) return 'validation_failed';
  if (status === 408 || status === 504) return 'upstream_timeout';
  return 'upstream_unavailable';
}

/**
 * Maps a Gemini error.
 * @param httpStatus the HTTP status, or undefined for an error event inside a 200 stream.
 */
export function fromGoogleError(
  httpStatus: number | undefined,
  headers: ResponseHeaders,
  details: GoogleErrorDetails,
  context: UpstreamCallContext,
  cause?: unknown,
): ParleyError {
  let code: ErrorCode =
    (details.status === undefined ? undefined : CODE_BY_STATUS[details.status]) ??
    (httpStatus === undefined ? 'upstream_unavailable' : codeByHttpStatus(httpStatus));
  // Google answers a bad key with 400 INVALID_ARGUMENT; the operator, not the client, must act.
  if (details.reason === 'API_KEY_INVALID') code = 'upstream_auth_failed';
  if (code === 'model_not_found' && context.model === undefined) code = 'upstream_unavailable';
  const upstream = details.message === undefined ? '' : sanitizeUpstreamMessage(details.message, context.apiKey);
  const what = [httpStatus === undefined ? undefined : `HTTP ${httpStatus}`, details.status].filter((part) => part !== undefined).join(', ');
  const where = `Provider "${context.provider}"`;
  const suffix = `${what === '' ? '' : ` (${what})`}${upstream === '' ? '' : `: ${upstream}`}`;
  const options = { cause: cause ?? { status: httpStatus, body: details } };
  switch (code) {
    case 'model_not_found':
      return new ParleyError(code, `Model "${context.model ?? ''}" does not exist on provider "${context.provider}"${suffix}.`, { ...options, param: 'model' });
    case 'upstream_rate_limited':
      return new ParleyError(code, `${where} is rate limiting requests${suffix}`, {
        ...options,
        retryAfterSeconds: details.retryDelaySeconds ?? retryAfterFromHeaders(headers) ?? 1,
      });
    case 'upstream_auth_failed':
      return new ParleyError(code, `${where} rejected the credentials${suffix}`, options);
    case 'validation_failed':
      return new ParleyError(code, `${where} rejected the request${suffix}`, options);
    case 'payload_too_large':
      return new ParleyError(code, `${where} found the request too large${suffix}`, options);
    case 'upstream_timeout':
      return new ParleyError(code, `${where} timed out${suffix}`, options);
    default:
      return new ParleyError('upstream_unavailable', `${where} failed${suffix}`, { ...options, retryAfterSeconds: retryAfterFromHeaders(headers) });
  }
}

/** Maps an error body sent with a 2xx (a proxy, a stream turned JSON); undefined when it names no error. */
export function fromErrorBody(body: unknown, context: UpstreamCallContext): ParleyError | undefined {
  const details = errorDetails(body);
  return details.status === undefined && details.message === undefined ? undefined : fromGoogleError(undefined, {}, details, context);
}

/** Maps a non-2xx answer from its status, headers and (first 8 KiB of) body. */
export function fromHttpError(status: number, headers: ResponseHeaders, bodyText: string, context: UpstreamCallContext): ParleyError {
  return fromGoogleError(status, headers, errorDetails(parseJsonOrUndefined(bodyText)), context, {
    status,
    body: sanitizeUpstreamMessage(bodyText, context.apiKey),
  });
}
