/**
 * Structured JSON logs (pino, one object per line) that never carry client
 * keys, cookies or prompt text at info level: credential headers are redacted
 * wherever a request's headers get logged, key-like query parameters are
 * masked in logged URLs (WebSocket clients may send the key as `?api_key=`),
 * and request bodies are never logged. Prompts are logged only when
 * `PARLEY_LOG_PROMPTS=true`, at debug level (see run-logging.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { Config } from '../config/types.js';

/** What replaces a secret in a log line. */
export const REDACTION = '[REDACTED]';

/**
 * pino `redact` paths (fast-redact syntax): credential headers of a logged
 * request, under `req` (Fastify's request serializer) or bare `headers`.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'res.headers["set-cookie"]',
];

/** Query parameters whose values are credentials. */
const SECRET_QUERY_PARAMETER = /([?&](?:api[_-]?key|key|token|access[_-]?token)=)[^&#]*/gi;

/** `url` with the values of key-like query parameters replaced by {@link REDACTION}. */
export function redactUrl(url: string): string {
  return url.includes('?') ? url.replace(SECRET_QUERY_PARAMETER, `$1${REDACTION}`) : url;
}

/** Fastify's request log fields, with the URL redacted; headers and body are left out. */
function serializeRequest(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/**
 * Fastify `logger` options: JSON lines at the configured level with
 * redaction. `override` (tests, embedding) picks another level, or `false`
 * to silence.
 */
export function loggerOptions(config: Readonly<Config>, override?: boolean | { level: string }): FastifyServerOptions['logger'] {
  if (override === false) return false;
  const level = typeof override === 'object' ? override.level : config.logLevel;
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: REDACTION },
    serializers: { req: serializeRequest },
  };
}

/**
 * The logger of the request being handled, for code that runs on its behalf
 * without a reference to it (a run started by a route logs with the route's
 * `reqId`). Undefined outside a request.
 */
const requestScope = new AsyncLocalStorage<FastifyBaseLogger>();

/** The current request's logger, if the caller runs inside a route handler. */
export function currentRequestLogger(): FastifyBaseLogger | undefined {
  return requestScope.getStore();
}

/**
 * Enters the request scope for the route handler. Entered in `preHandler`
 * rather than `onRequest` because body parsing resumes on stream events that
 * do not carry the async context of `onRequest` (nodejs/node#34430); from
 * here on, the handler and every promise it creates inherit the scope.
 */
export function installRequestScope(app: FastifyInstance): void {
  app.addHook('preHandler', (request, _reply, done) => {
    requestScope.run(request.log, done);
  });
}
