/** Operations routes: service status, liveness, and the cached model list. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { landingPage, prefersHtml } from '../playground/landing.js';
import { registerDocsRoutes } from './docs.js';
import { registerMonitoringRoutes } from './monitoring.js';
import { registerUsageRoutes } from './usage.js';

/**
 * Registers `GET /`, `GET /health` and `GET /models`, then the other
 * operations routes: `/metrics`, `/health/ready` (monitoring.ts), `/usage`
 * (usage.ts) and `/redoc` (docs.ts).
 */
export function registerOpsRoutes(app: FastifyInstance, context: AppContext): void {
  const { config, chat } = context;

  app.get('/', { schema: { tags: ['operations'], summary: 'Service status and counts (a page linking the playground and docs for browsers)' } }, async (request, reply) => {
    // Browsers ask for HTML first; API clients (and `*/*`) keep the JSON status.
    if (prefersHtml(request.headers.accept)) return reply.type('text/html; charset=utf-8').send(landingPage(config.appTitle, config.version));
    const totals = await chat.totals(request.principal.ownerId);
    // Seeds 001 and 002 document different bodies for `/`: carry the fields of both.
    return {
      status: 'online',
      service: config.appTitle,
      version: config.version,
      conversations: totals.conversations,
      total_messages: totals.messages,
      message: `Welcome to ${config.appTitle}`,
      description: 'Self-hosted chat backend for LLM apps',
      docs: '/docs',
      health: '/health',
    };
  });

  // Seed 003 documents `model` and `version`; seed 000 only that it answers.
  const defaultModel = context.models.defaultModel();
  app.get('/health', { config: { public: true }, schema: { tags: ['operations'], summary: 'Liveness' } }, () => ({
    status: 'healthy',
    model: defaultModel,
    version: config.version,
    timestamp: new Date().toISOString(),
  }));

  app.get('/models', { schema: { tags: ['operations'], summary: 'Available models (cached for an hour)' } }, async () => {
    const listing = await context.models.list();
    return { models: listing.models, cached: listing.cached };
  });

  registerMonitoringRoutes(app, context);
  registerUsageRoutes(app, context);
  registerDocsRoutes(app, context);
}
