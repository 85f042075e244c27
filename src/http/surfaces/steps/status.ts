/**
 * Seed 002's status routes: `GET /api/chat/health`, `GET
 * /api/chat/performance`, `GET /api/chat/cache/stats`, `POST
 * /api/chat/cache/clear`. Figures are measured, never estimated: timings
 * from the performance service (services/performance.ts), cache figures
 * from the response cache. Both are the calling tenant's, and with REDIS_URL
 * count every instance's runs.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';

const tags = ['steps'];

/** Registers the status routes over the surface's measured performance. */
export function registerStepsStatusRoutes(app: FastifyInstance, context: AppContext): void {
  const { config, responseCache, performance } = context;

  // Public like GET /health: a load balancer probes it without a key.
  app.get('/api/chat/health', { config: { public: true }, schema: { tags, summary: 'Health check (seed 002)' } }, () => ({
    status: 'healthy',
    timestamp: new Date().toISOString(),
    version: config.version,
  }));

  app.get('/api/chat/performance', { schema: { tags, summary: 'Measured request counts, latency and time to first token (seed 002)' } }, async (request) => {
    const cache = await responseCache.stats(request.principal.ownerId);
    return { success: true, performance_stats: { ...(await performance.figures(request.principal.ownerId)), cache_hit_rate: cache.hit_rate } };
  });

  app.get('/api/chat/cache/stats', { schema: { tags, summary: 'Response cache size and hit rate (seed 002)' } }, async (request) => {
    const cache = await responseCache.stats(request.principal.ownerId);
    const figures = await performance.figures(request.principal.ownerId);
    return {
      success: true,
      cache_stats: {
        cache_size: cache.entries,
        cache_hit_rate: cache.hit_rate,
        avg_response_time: figures.avg_response_time,
        total_requests: figures.total_requests,
        hits: cache.hits,
        misses: cache.misses,
        max_entries: cache.max_entries,
        ttl_seconds: cache.ttl_seconds,
      },
    };
  });

  app.post('/api/chat/cache/clear', { schema: { tags, summary: "Clear the caller's cached answers (seed 002)" } }, async (request) => {
    const cleared = await responseCache.clear(request.principal.ownerId);
    return { success: true, message: 'Cache cleared.', cleared_entries: cleared };
  });
}
