/**
 * Turns everything thrown in a route into the one JSON error body, and answers
 * unknown routes the same way. 5xx bodies never carry internals.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ParleyError, toParleyError } from '../errors.js';

/** Fastify's own error codes that are the client's fault, mapped to ours. */
const FRAMEWORK_ERRORS: Record<string, (error: FastifyError) => ParleyError> = {
  FST_ERR_CTP_INVALID_JSON_BODY: () => new ParleyError('invalid_json', 'The request body is not valid JSON.'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new ParleyError('invalid_json', 'The request body is empty; send a JSON object.'),
  FST_ERR_CTP_BODY_TOO_LARGE: () => new ParleyError('payload_too_large', 'The request body is too large.'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new ParleyError('unsupported_media_type', 'Unsupported Content-Type; send application/json.'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new ParleyError('validation_failed', 'Content-Length does not match the body.'),
  FST_ERR_BAD_URL: () => new ParleyError('validation_failed', 'The URL is malformed.'),
  FST_ERR_MAX_PARAM_LENGTH: () => new ParleyError('validation_failed', 'A path parameter is too long.'),
};

function fromFramework(error: FastifyError): ParleyError | undefined {
  if (error instanceof ParleyError) return error;
  const mapped = error.code === undefined ? undefined : FRAMEWORK_ERRORS[error.code];
  if (mapped !== undefined) return mapped(error);
  if (error instanceof SyntaxError && error.statusCode === 400) return new ParleyError('invalid_json', 'The request body is not valid JSON.');
  if (error.validation !== undefined) {
    const [first] = error.validation;
    const context = error.validationContext ?? 'body';
    const path = (first?.instancePath ?? '').split('/').filter(Boolean).join('.');
    const missing = first?.params && 'missingProperty' in first.params ? String(first.params.missingProperty) : undefined;
    const param = [path, missing].filter(Boolean).join('.') || context;
    const message = missing !== undefined ? `is required` : (first?.message ?? 'is invalid');
    return new ParleyError('validation_failed', `${context === 'body' ? '' : `${context} `}${param} ${message}.`, { param });
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return new ParleyError('validation_failed', error.message);
  }
  return undefined;
}

/**
 * Fastify's `frameworkErrors` option: the router's own refusals (a malformed
 * URL, an over-long path parameter) happen before any route or error handler,
 * so without this they would answer in Fastify's shape instead of ours.
 */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const parleyError = fromFramework(error) ?? new ParleyError('validation_failed', 'The request could not be routed.');
  void reply.status(parleyError.status).send(parleyError.toBody());
}

/**
 * The headers an error answer carries besides the body: `Retry-After` in whole
 * seconds (rounded up, RFC 9110 delta-seconds) when the error knows when to retry.
 * The only place a ParleyError's retry hint becomes a header.
 */
export function errorHeaders(error: ParleyError): Record<string, string> {
  return error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(Math.ceil(error.retryAfterSeconds)) };
}

/** Installs the error and not-found handlers on `app`. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const parleyError = fromFramework(error) ?? toParleyError(error);
    if (parleyError.status >= 500) request.log.error({ err: error }, 'request failed');
    void reply.status(parleyError.status).headers(errorHeaders(parleyError)).send(parleyError.toBody());
  });
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const error = new ParleyError('not_found', `No route ${request.method} ${request.url.split('?')[0]}.`);
    void reply.status(error.status).send(error.toBody());
  });
}
