/**
 * Seed 004's health routes ("Health Endpoints"): `GET /api/health`, a basic
 * liveness answer, and `GET /api/health/detailed`, which runs real checks.
 * Neither needs a key, like every health route: monitors call them, and the
 * detailed one must be able to say "database down" even when checking a key
 * (keys made by `parley keys` live in that database) would fail first.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';

const tags = ['json-sse'];

/** Registers `GET /api/health` and `GET /api/health/detailed`. */
export function registerJsonSseHealthRoutes(app: FastifyInstance, context: AppContext): void {
  const { config, health, models, runs } = context;
  const startedAt = Date.now();

  app.get('/api/health', { config: { public: true }, schema: { tags, summary: 'Basic health check (seed 004)' } }, () => ({
    status: 'healthy',
    service: config.appTitle,
    version: config.version,
    timestamp: new Date().toISOString(),
  }));

  app.get(
    '/api/health/detailed',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Detailed health check with system information (seed 004)',
        description: 'Pings the database; 503 with `status: "unhealthy"` when it does not answer.',
      },
    },
    async (_request, reply) => {
      const databaseUp = await health.ping();
      const providers = models.providerNames();
      void reply.status(databaseUp ? 200 : 503);
      return {
        status: databaseUp ? 'healthy' : 'unhealthy',
        service: config.appTitle,
        version: config.version,
        timestamp: new Date().toISOString(),
        uptime_seconds: Math.floor((Date.now() - startedAt) / 1000),
        checks: {
          database: { status: databaseUp ? 'ok' : 'error' },
          providers: { status: 'ok', default: providers[0], names: providers, mock_only: models.mockOnly },
          runs: { active: runs.activeCount },
        },
        system: {
          node_version: process.version,
          platform: process.platform,
          memory_rss_bytes: process.memoryUsage().rss,
        },
      };
    },
  );
}
