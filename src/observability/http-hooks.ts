/**
 * Per-request observability hooks: `X-Request-ID` and `X-Process-Time` on
 * every response, and the HTTP request metrics. Installed before any other
 * hook so that requests refused early (auth, rate limits) are timed and carry
 * their id too.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { watchSseResponse, type SseResponseWatcher } from '../http/streaming/sse.js';
import type { ParleyMetrics } from './metrics.js';
import { REQUEST_ID_HEADER } from './request-id.js';
import type { StreamTracker } from './streams.js';

/** Seconds the server spent on a request, as the seeds' FastAPI middleware sends them. */
export const PROCESS_TIME_HEADER = 'x-process-time';

/** Route label of requests that matched no route (bounded, unlike raw URLs). */
const UNMATCHED_ROUTE = 'unmatched';

/** Status label of requests whose client left before any response was sent (nginx's convention). */
const CLIENT_CLOSED_STATUS = '499';

/** The request field holding its arrival, `process.hrtime.bigint()` (0n before the first hook ran). */
const RECEIVED_AT = 'parleyReceivedAt';

declare module 'fastify' {
  interface FastifyRequest {
    /** When the request arrived, `process.hrtime.bigint()`; set by the first `onRequest` hook. */
    [RECEIVED_AT]: bigint;
  }
}

/** What the hooks record into. */
export interface HttpObservabilityTargets {
  metrics: ParleyMetrics;
  streams: StreamTracker;
}

/** Seconds since `startedAt` (`process.hrtime.bigint()`), with microsecond precision, as header text. */
export function processTimeSince(startedAt: bigint): string {
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  return seconds.toFixed(6);
}

/**
 * Installs the hooks. `X-Process-Time` is set in `onSend`, so it covers the
 * handler and serialization; event streams bypass `onSend` and carry the time
 * to their headers instead (set by the SSE writer just before writing them).
 */
export function installHttpObservability(app: FastifyInstance, targets: HttpObservabilityTargets): void {
  // A field of every request (Fastify builds it into the request's shape)
  // rather than a WeakMap entry per request.
  app.decorateRequest(RECEIVED_AT, 0n);

  const watcher: SseResponseWatcher<bigint> = {
    headers: (startedAt) => ({ [PROCESS_TIME_HEADER]: processTimeSince(startedAt) }),
    opened: () => targets.streams.opened(),
    closed: () => targets.streams.closed(),
  };
  app.addHook('onRequest', (request, reply, done) => {
    const startedAt = process.hrtime.bigint();
    request[RECEIVED_AT] = startedAt;
    // Set now rather than in onSend so that hijacked responses (event streams) copy it too.
    void reply.header(REQUEST_ID_HEADER, request.id);
    watchSseResponse(reply.raw, watcher, startedAt);
    // `close` fires for every response, also hijacked ones and ones whose
    // client left, where Fastify's onResponse does not run. It fires once:
    // `on` spares the two objects `once` wraps a listener in, for each open stream.
    reply.raw.on('close', () => record(targets.metrics, request, reply, startedAt));
    done();
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    const receivedAt = request[RECEIVED_AT];
    // Answers sent without the request hooks (router refusals, see errors.ts) still carry the id.
    if (receivedAt === 0n) void reply.header(REQUEST_ID_HEADER, request.id);
    else void reply.header(PROCESS_TIME_HEADER, processTimeSince(receivedAt));
    done(null, payload);
  });
}

function record(metrics: ParleyMetrics, request: FastifyRequest, reply: FastifyReply, startedAt: bigint): void {
  const labels = {
    method: request.method,
    route: request.routeOptions.url ?? UNMATCHED_ROUTE,
    status: reply.raw.headersSent ? String(reply.raw.statusCode) : CLIENT_CLOSED_STATUS,
  };
  metrics.httpRequests.inc(labels);
  metrics.httpRequestDuration.observe(labels, Number(process.hrtime.bigint() - startedAt) / 1e9);
}
