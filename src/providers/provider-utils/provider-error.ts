/**
 * The last step of every native provider's error mapping (./errors.ts in the
 * provider folders): once the provider has read its error body into a Parley
 * code and the upstream's own words, this builds the {@link ParleyError} with
 * the same messages, `param` and retry hints for every provider.
 */
import { ParleyError, type ErrorCode } from '../../errors.js';
import { retryAfterFromHeaders, type ResponseHeaders } from './retry-after.js';
import { sanitizeUpstreamMessage, type UpstreamCallContext } from './upstream-errors.js';

/**
 * Parley's code for an upstream HTTP status, for bodies that name no error type
 * (proxies, gateways).
 */
export function codeForHttpStatus(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'upstream_auth_failed';
  if (status === 404) return 'model_not_found';
  if (status === 429) return 'upstream_rate_limited';
  if (status === 413) return 'payload_too_large';
  if (status === 400 || status === 409 || status === 422) return 'validation_failed';
  if (status === 408 || status === 504) return 'upstream_timeout';
  return 'upstream_unavailable';
}

/** What a provider's error mapping read from one upstream error. */
export interface UpstreamErrorFacts {
  /** The Parley code the provider chose; `model_not_found` on a call naming no model becomes `upstream_unavailable`. */
  code: ErrorCode;
  /** The HTTP status, or undefined for an error event inside a 200 stream. */
  httpStatus: number | undefined;
  /** The provider's own error kind (`overloaded_error`, `RESOURCE_EXHAUSTED`), shown beside the status. */
  kind: string | undefined;
  /** The upstream's message, unsanitised (it is sanitised here). */
  message: string | undefined;
  /** Response headers (`retry-after`); `{}` for in-stream errors. */
  headers: ResponseHeaders;
  /** A retry delay from the body, preferred over `Retry-After` when rate limited (seconds). */
  retryDelaySeconds?: number;
  /** The upstream said it is overloaded rather than failing: the message says so. */
  overloaded?: boolean;
  /** Kept on the error for the log. */
  cause: unknown;
}

/** Builds the error for {@link UpstreamErrorFacts}; rate limiting retries after 1 s when no delay is given. */
export function upstreamError(facts: UpstreamErrorFacts, context: UpstreamCallContext): ParleyError {
  // A list call names no model: a 404 there is a wrong base URL, not a missing model.
  const code: ErrorCode = facts.code === 'model_not_found' && context.model === undefined ? 'upstream_unavailable' : facts.code;
  const upstream = facts.message === undefined ? '' : sanitizeUpstreamMessage(facts.message, context.apiKey);
  const what = [facts.httpStatus === undefined ? undefined : `HTTP ${facts.httpStatus}`, facts.kind].filter((part) => part !== undefined).join(', ');
  const where = `Provider "${context.provider}"`;
  const suffix = `${what === '' ? '' : ` (${what})`}${upstream === '' ? '' : `: ${upstream}`}`;
  const options = { cause: facts.cause };
  switch (code) {
    case 'model_not_found':
      return new ParleyError(code, `Model "${context.model ?? ''}" does not exist on provider "${context.provider}"${suffix}.`, { ...options, param: 'model' });
    case 'upstream_rate_limited':
      return new ParleyError(code, `${where} is rate limiting requests${suffix}`, {
        ...options,
        retryAfterSeconds: facts.retryDelaySeconds ?? retryAfterFromHeaders(facts.headers) ?? 1,
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
      return new ParleyError('upstream_unavailable', `${where} ${facts.overloaded === true ? 'is overloaded' : 'failed'}${suffix}`, {
        ...options,
        retryAfterSeconds: retryAfterFromHeaders(facts.headers),
      });
  }
}
