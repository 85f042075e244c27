/**
 * Monitoring routes: `GET /metrics` (Prometheus) and `GET /health/ready`
 * (readiness). Both are outside client-key auth: scrapers and probes hold no
 * client key. `/metrics` takes its own key when `PARLEY_METRICS_KEY` is set.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ParleyError } from '../../../errors.js';
import { ReadinessProbe } from '../../../observability/readiness.js';
import type { AppContext } from '../../context.js';

const tags = ['operations'];

const checkSchema = {
  type: 'object',
  required: ['status', 'duration_ms'],
  properties: {
    status: { type: 'string', enum: ['ok', 'failed'] },
    duration_ms: { type: 'integer', description: 'How long the check took (ms).' },
    error: { type: 'string', description: 'Why it failed: a Parley error code, `timeout`, `unavailable` or `shutting_down`.' },
  },
} as const;

const readinessSchema = {
  type: 'object',
  required: ['status', 'checks', 'failed', 'checked_at', 'cached'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not_ready'] },
    checks: {
      type: 'object',
      required: ['database', 'providers', 'accepting'],
      properties: { database: checkSchema, redis: checkSchema, providers: checkSchema, accepting: checkSchema },
    },
    failed: { type: 'array', items: { type: 'string' }, description: 'Names of the failed checks.' },
    checked_at: { type: 'string', format: 'date-time', description: 'When the database and provider checks ran.' },
    cached: { type: 'boolean', description: 'Whether those results were reused (they are cached for 10 s).' },
  },
} as const;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Checks `Authorization: Bearer <PARLEY_METRICS_KEY>` in constant time.
 * @throws ParleyError `missing_api_key` (401) without it, `invalid_api_key` (403) when wrong.
 */
function requireMetricsKey(authorization: string | undefined, expected: Buffer): void {
  const presented = authorization === undefined ? undefined : /^Bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim();
  if (presented === undefined || presented === '') {
    throw new ParleyError('missing_api_key', 'GET /metrics needs Authorization: Bearer <PARLEY_METRICS_KEY>.');
  }
  if (!timingSafeEqual(digest(presented), expected)) throw new ParleyError('invalid_api_key', 'The metrics key is not valid.');
}

/** Registers `GET /metrics` and `GET /health/ready`. */
export function registerMonitoringRoutes(app: FastifyInstance, context: AppContext): void {
  const { config, metrics } = context;
  const metricsKey = config.metricsKey === undefined ? undefined : digest(config.metricsKey);

  app.get(
    '/metrics',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Prometheus metrics',
        description:
          'Prometheus text exposition format 0.0.4: HTTP requests, time to first token, tokens, runs, upstream errors, active runs, open streams, cache and rate-limit counters, process metrics. Public unless PARLEY_METRICS_KEY is set; then send `Authorization: Bearer <PARLEY_METRICS_KEY>`.',
        security: metricsKey === undefined ? [] : [{ bearer: [] }],
        response: {
          200: { description: 'The metrics.', content: { 'text/plain': { schema: { type: 'string' } } } },
        },
      },
    },
    async (request, reply) => {
      if (metricsKey !== undefined) requireMetricsKey(request.headers.authorization, metricsKey);
      const body = await metrics.render();
      return reply.header('content-type', metrics.contentType).send(body);
    },
  );

  const probe = new ReadinessProbe({
    database: context.health,
    redis: context.health.usesRedis ? { ping: () => context.health.pingRedis() } : undefined,
    providers: context.models,
    draining: () => context.runs.draining,
    logger: () => app.log,
  });
  app.get(
    '/health/ready',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Readiness: database, Redis (when configured), default provider, not shutting down',
        description: '200 when this instance should get traffic, else 503 naming the failed checks. Database and provider results are cached for 10 s.',
        security: [],
        response: { 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (_request, reply) => {
      const report = await probe.check();
      return reply.code(report.status === 'ready' ? 200 : 503).send(report);
    },
  );
}
