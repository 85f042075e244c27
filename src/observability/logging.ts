/**
 * Structured JSON logs (pino, one object per line) that never carry client
 * keys, cookies or prompt text at info level: credential headers are redacted
 * wherever a request's headers get logged, key-like query parameters are
 * masked in logged URLs (WebSocket clients may send the key as `?api_key=`),
 * and request bodies are never logged. Prompts are logged only when
 * `PARLEY_LOG_PROMPTS=true`, at debug level (see run-logging.ts).
 */
import type { FastifyRequest, FastifyServerOptions } from 'fastify';
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

