/**
 * Structured JSON logs (pino, one object per line) that never carry client
 * keys, cookies or prompt text at info level: credential headers are redacted
 * wherever a request's headers get logged, key-like query parameters are
 * masked in logged URLs (WebSocket clients may send the key as `?api_key=`),
 * and request bodies are never logged. Prompts are logged only when
 * `PARLEY_LOG_PROMPTS=true`, at debug level (see run-logging.ts).
 */
import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { pino, type DestinationStream } from 'pino';
import type { Config } from '../config/types.js';

/** What replaces a secret in a log line. */
export const REDACTION = '[REDACTED]';

/**
 * Headers whose values are credentials, censored wherever a `headers` object
 * is logged. Requests (`req`) and replies (`res`) are logged through
 * serializers that leave headers out altogether.
 */
export const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'cookie', 'set-cookie'] as const;

/**
 * `headers` with the values of {@link CREDENTIAL_HEADERS} replaced by
 * {@link REDACTION}: a copy when one is present, else `headers` itself.
 * A serializer rather than pino's `redact`, whose path matching ran on every
 * line that had a `req` or `res` key, that is on every request's log line.
 */
export function censorHeaders(headers: unknown): unknown {
  if (headers === null || typeof headers !== 'object') return headers;
  let censored: Record<string, unknown> | undefined;
  for (const name of CREDENTIAL_HEADERS) {
    if ((headers as Record<string, unknown>)[name] === undefined) continue;
    censored ??= { ...(headers as Record<string, unknown>) };
    censored[name] = REDACTION;
  }
  return censored ?? headers;
}

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
 * Bytes of log lines gathered before one write to stdout (about 23 `/v1`
 * calls at info). A write's cost barely depends on its size (4 KiB: 21 µs,
 * 16 KiB: 25 µs of CPU on the test machine), so larger batches cost less per line.
 */
const LOG_BATCH_BYTES = 16_384;

/** Largest single write; sonic-boom needs it above {@link LOG_BATCH_BYTES}. */
const LOG_MAX_WRITE_BYTES = 65_536;

/** Longest a log line waits for its batch, ms. */
const LOG_FLUSH_MS = 100;

let stdoutDestination: DestinationStream | undefined;

/**
 * Standard output, written in batches of {@link LOG_BATCH_BYTES} or every
 * {@link LOG_FLUSH_MS}, whichever comes first. Unbatched, each line (two per
 * `/v1` call: the request's and the run's) was its own write(2), queued to libuv's thread pool; under load
 * those writes cost more than the lines' serialization. pino flushes what is
 * left synchronously when the process exits (also on a crash that runs
 * `exit` handlers); a process killed outright loses at most one batch.
 * One stream for every app of the process (tests build many).
 */
function batchedStdout(): DestinationStream {
  stdoutDestination ??= pino.destination({ dest: 1, sync: false, minLength: LOG_BATCH_BYTES, maxWrite: LOG_MAX_WRITE_BYTES, periodicFlush: LOG_FLUSH_MS });
  return stdoutDestination;
}

/**
 * Fastify `logger` options: JSON lines at the configured level, requests
 * without headers, headers logged elsewhere censored. `override` (tests,
 * embedding) picks another level, or `false` to silence.
 */
export function loggerOptions(config: Readonly<Config>, override?: boolean | { level: string }): FastifyServerOptions['logger'] {
  if (override === false) return false;
  const level = typeof override === 'object' ? override.level : config.logLevel;
  return {
    level,
    serializers: { req: serializeRequest, headers: censorHeaders },
    stream: batchedStdout(),
  };
}

/**
 * Fastify's request log lines, one per request at `info`: `request completed`
 * (or `request errored`) with the request (method, redacted URL, host,
 * client address), the status and `responseTime` (ms), once the response is
 * finished. Fastify's `incoming request` line is logged at `debug` only: at
 * `info` it doubled the log lines (and their writes) of every request and
 * said nothing the completion line does not. Error lines are Fastify's.
 */
export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    // A no-op above debug: pino swaps the methods of disabled levels for empty ones.
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
