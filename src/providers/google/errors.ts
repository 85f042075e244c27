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
import type { ErrorCode, ParleyError } from '../../errors.js';
import { codeForHttpStatus, upstreamError } from '../provider-utils/provider-error.js';
import type { ResponseHeaders } from '../provider-utils/retry-after.js';
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
    (httpStatus === undefined ? 'upstream_unavailable' : codeForHttpStatus(httpStatus));
  // Google answers a bad key with 400 INVALID_ARGUMENT; the operator, not the client, must act.
  if (details.reason === 'API_KEY_INVALID') code = 'upstream_auth_failed';
  return upstreamError(
    {
      code,
      httpStatus,
      kind: details.status,
      message: details.message,
      headers,
      ...(details.retryDelaySeconds === undefined ? {} : { retryDelaySeconds: details.retryDelaySeconds }),
      cause: cause ?? { status: httpStatus, body: details },
    },
    context,
  );
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
