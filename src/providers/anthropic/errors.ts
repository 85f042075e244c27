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
import { ParleyError, type ErrorCode } from '../../errors.js';
import { retryAfterFromHeaders, type ResponseHeaders } from '../provider-utils/retry-after.js';
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

function codeByStatus(status: number): ErrorCode {
  if (status === 401 || status === 402 || status === 403) return 'upstream_auth_failed';
  if (status === 404) return 'model_not_found';
  if (status === 429) return 'upstream_rate_limited';
  if (status === 413) return 'payload_too_large';
  if (status === 400 || status === 409 || status === 422) return 'validation_failed';
  if (status === 408 || status === 504) return 'upstream_timeout';
  return 'upstream_unavailable';
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
  let code: ErrorCode = (details.type === undefined ? undefined : CODE_BY_TYPE[details.type]) ?? (status === undefined ? 'upstream_unavailable' : codeByStatus(status));
  // A list call names no model: a 404 there is a wrong base URL, not a missing model.
  if (code === 'model_not_found' && context.model === undefined) code = 'upstream_unavailable';
  const upstream = details.message === undefined ? '' : sanitizeUpstreamMessage(details.message, context.apiKey);
  const what = [status === undefined ? undefined : `HTTP ${status}`, details.type].filter((part) => part !== undefined).join(', ');
  const where = `Provider "${context.provider}"`;
  const suffix = `${what === '' ? '' : ` (${what})`}${upstream === '' ? '' : `: ${upstream}`}`;
  const options = { cause: cause ?? { status, body: details } };
  switch (code) {
    case 'model_not_found':
      return new ParleyError(code, `Model "${context.model ?? ''}" does not exist on provider "${context.provider}"${suffix}.`, { ...options, param: 'model' });
    case 'upstream_rate_limited':
      return new ParleyError(code, `${where} is rate limiting requests${suffix}`, { ...options, retryAfterSeconds: retryAfterFromHeaders(headers) ?? 1 });
    case 'upstream_auth_failed':
      return new ParleyError(code, `${where} rejected the credentials${suffix}`, options);
    case 'validation_failed':
      return new ParleyError(code, `${where} rejected the request${suffix}`, options);
    case 'payload_too_large':
      return new ParleyError(code, `${where} found the request too large${suffix}`, options);
    case 'upstream_timeout':
      return new ParleyError(code, `${where} timed out${suffix}`, options);
    default: {
      const overloaded = details.type === 'overloaded_error' || status === 529;
      return new ParleyError('upstream_unavailable', `${where} ${overloaded ? 'is overloaded' : 'failed'}${suffix}`, {
        ...options,
        retryAfterSeconds: retryAfterFromHeaders(headers),
      });
    }
  }
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
