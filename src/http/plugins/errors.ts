/**
 * Turns everything thrown in a route into the one JSON error body, and answers
 * unknown routes the same way. 5xx bodies never carry internals.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ParleyError, toParleyError } from '../../errors.js';

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

function clientErrorMessage(code: string | undefined): string {
  const what = code === undefined ? 'The request is not valid HTTP.' : `The request is not valid HTTP (${code}).`;
  // llhttp's codes for a request line with raw bytes, spaces or control characters in the path.
  return code === 'HPE_INVALID_URL' || code === 'HPE_INVALID_CONSTANT' ? `${what} Percent-encode the path.` : what;
}

/**
 * Fastify's `clientErrorHandler`: requests Node's HTTP parser refuses (raw
 * bytes or spaces in the path, a malformed header, a timeout) never reach
 * Fastify; answered here, on the socket, with the JSON error body, then the
 * connection is closed (what Node and Fastify do by default, in their shape).
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const parleyError =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new ParleyError('request_timeout', 'The request did not arrive in time.')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? new ParleyError('headers_too_large', 'The request headers are too large.')
        : new ParleyError('validation_failed', clientErrorMessage(error.code));
  if (socket.writable) {
    const body = JSON.stringify(parleyError.toBody());
    socket.write(
      `HTTP/1.1 ${parleyError.status} ${STATUS_CODES[parleyError.status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * The headers an error answer carries besides the body: `Retry-After` in whole
 * seconds (rounded up, RFC 9110 delta-seconds) when the error knows when to
 * retry, and `Allow` for a method the path does not take (RFC 9110 15.5.6).
 * The only place a ParleyError's hints become headers.
 */
export function errorHeaders(error: ParleyError): Record<string, string> {
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.ceil(error.retryAfterSeconds));
  if (error.allowedMethods !== undefined) headers.allow = error.allowedMethods.join(', ');
  return headers;
}

/** Installs the error and not-found handlers on `app`. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const parleyError = fromFramework(error) ?? toParleyError(error);
    // A 503 is a refusal Parley chose (shutting down, moderation down), not a fault: one info line, no stack.
    if (parleyError.status === 503) request.log.info({ code: parleyError.code }, `request refused: ${parleyError.message}`);
    else if (parleyError.status >= 500) request.log.error({ err: error }, 'request failed');
    void reply.status(parleyError.status).headers(errorHeaders(parleyError)).send(parleyError.toBody());
  });
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const error = new ParleyError('not_found', `No route ${request.method} ${request.url.split('?')[0]}.`);
    void reply.status(error.status).send(error.toBody());
  });
}
