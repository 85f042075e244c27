/** Operations routes: service status, liveness, and the cached model list. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

/** Registers `GET /`, `GET /health` and `GET /models`. */
export function registerOpsRoutes(app: FastifyInstance, context: AppContext): void {
  const { config, store } = context;

  app.get('/', { schema: { tags: ['operations'], summary: 'Service status and counts' } }, async (request) => {
    const totals = await store.conversations.totals(request.principal.ownerId);
    return {
      status: 'online',
      service: config.appTitle,
      version: config.version,
      conversations: totals.conversations,
      total_messages: totals.messages,
    };
  });

  app.get('/health', { config: { public: true }, schema: { tags: ['operations'], summary: 'Liveness' } }, () => ({
    status: 'healthy',
    timestamp: new Date().toISOString(),
    version: config.version,
  }));

  app.get('/models', { schema: { tags: ['operations'], summary: 'Available models (cached for an hour)' } }, async () => {
    const listing = await context.models.list();
    return { models: listing.models, cached: listing.cached };
  });
}
