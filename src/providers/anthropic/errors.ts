/**
 * Anthropic errors → {@link ParleyError}. The body is
 * `{"type": "error", "error": {"type", "message"}}` on HTTP errors and in the
 * stream's `error` event (https://docs.anthropic.com/en/api/errors); the error
 * `type` decides, the status is the fallback for bodies without one (proxies):
 * - `overloaded_error` (529) and `api_error` (500) → `upstream_unavailable`, retryable
 * - `rate_limit_error` (429) → `upstream_rate_limited` with `Retry-After`
 * - `authentication_error` (401), `permission_error` (403), `billing_error` → `upstream_auth_failed`
 * - `not_found_error` (404) → `model_not_found` for a call that names a model
 * - `invalid_request_error` (400) → `validation_failed`; `request_too_large` (413) → `payload_too_large`
 * - `timeout_error` (504) → `upstream_timeout`
 */
import type { ErrorCode, ParleyError } from '../../errors.js';
import { codeForHttpStatus, upstreamError } from '../provider-utils/provider-error.js';
import type { ResponseHeaders } from '../provider-utils/retry-after.js';
import { isRecord, parseJsonOrUndefined, sanitizeUpstreamMessage, type UpstreamCallContext } from '../provider-utils/upstream-errors.js';

/** The parts of an Anthropic error that matter. */
export interface AnthropicErrorDetails {
  type?: string;
  message?: string;
}

/** Reads `error.type` / `error.message` from an error body or event (anything else gives `{}`). */
export function errorDetails(value: unknown): AnthropicErrorDetails {
  const error = isRecord(value) && isRecord(value.error) ? value.error : undefined;
  if (error === undefined) return {};
  return {
    ...(typeof error.type === 'string' ? { type: error.type } : {}),
    ...(typeof error.message === 'string' && error.message.trim() !== '' ? { message: error.message } : {}),
  };
}

const CODE_BY_TYPE: Record<string, ErrorCode> = {
  invalid_request_error: 'validation_failed',
  authentication_error: 'upstream_auth_failed',
  permission_error: 'upstream_auth_failed',
  billing_error: 'upstream_auth_failed',
  not_found_error: 'model_not_found',
  request_too_large: 'payload_too_large',
  rate_limit_error: 'upstream_rate_limited',
  api_error: 'upstream_unavailable',
  overloaded_error: 'upstream_unavailable',
  timeout_error: 'upstream_timeout',
};

/** Anthropic answers an unpaid account with 402; the operator, not the client, must act. */
function codeByStatus(status: number): ErrorCode {
  return status === 402 ? 'upstream_auth_failed' : codeForHttpStatus(status);
}

/**
 * Maps an Anthropic error.
 * @param status the HTTP status, or undefined for an `error` event inside a 200 stream.
 * @param headers response headers (`retry-after`), when the error came with a response.
 */
export function fromAnthropicError(
  status: number | undefined,
  headers: ResponseHeaders,
  details: AnthropicErrorDetails,
  context: UpstreamCallContext,
  cause?: unknown,
): ParleyError {
  const code: ErrorCode = (details.type === undefined ? undefined : CODE_BY_TYPE[details.type]) ?? (status === undefined ? 'upstream_unavailable' : codeByStatus(status));
  return upstreamError(
    {
      code,
      httpStatus: status,
      kind: details.type,
      message: details.message,
      headers,
      overloaded: details.type === 'overloaded_error' || status === 529,
      cause: cause ?? { status, body: details },
    },
    context,
  );
}

/** Maps an error body sent with a 2xx (a proxy, a stream turned JSON); undefined when it names no error. */
export function fromErrorBody(body: unknown, context: UpstreamCallContext): ParleyError | undefined {
  const details = errorDetails(body);
  return details.type === undefined && details.message === undefined ? undefined : fromAnthropicError(undefined, {}, details, context);
}

/** Maps a non-2xx answer from its status, headers and (first 8 KiB of) body. */
export function fromHttpError(status: number, headers: ResponseHeaders, bodyText: string, context: UpstreamCallContext): ParleyError {
  return fromAnthropicError(status, headers, errorDetails(parseJsonOrUndefined(bodyText)), context, {
    status,
    body: sanitizeUpstreamMessage(bodyText, context.apiKey),
  });
}
