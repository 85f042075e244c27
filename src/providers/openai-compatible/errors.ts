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
import { firstHeader, retryAfterFromHeaders, type ResponseHeaders } from '../provider-utils/retry-after.js';
import { isRecord, sanitizeUpstreamMessage, type UpstreamCallContext } from '../provider-utils/upstream-errors.js';

/** The parts of an upstream error body that matter. */
interface UpstreamErrorDetails {
  message?: string;
  code?: string;
  param?: string;
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
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

/**
 * Maps a non-2xx upstream answer.
 * - 401, 403, 402 (OpenRouter: no credits) → `upstream_auth_failed` (the operator must act)
 * - 404, or any status whose body says the model does not exist → `model_not_found`
 *   (for calls without a model a 404 means the route is missing → `upstream_unavailable`)
 * - 429 → `upstream_rate_limited` with `retryAfterSeconds` (`Retry-After` as seconds
 *   or an HTTP date, else `retry-after-ms`, else 1)
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
      // Without a hint a client still needs one: a second is the smallest useful wait.
      retryAfterSeconds: retryAfterFromHeaders(headers) ?? 1,
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
  return new ParleyError('upstream_unavailable', `${where} failed (HTTP ${status})${suffix}`, {
    retryAfterSeconds: firstHeader(headers, 'retry-after') === undefined ? undefined : retryAfterFromHeaders(headers),
    cause,
  });
}

/** Maps a JSON body sent where a stream was expected; undefined when it carries no error message. */
export function fromErrorBody(body: unknown, context: UpstreamCallContext): ParleyError | undefined {
  const details = parseErrorDetails(body);
  return details.message === undefined ? undefined : fromStreamError(details.message, context);
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
