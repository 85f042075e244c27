/**
 * Builds the Parley server from a configuration without listening: the core
 * (store, providers, run manager, chat service) and the HTTP surfaces over it.
 * `main.ts` listens and handles signals; tests build the app in-process.
 */
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config/types.js';
import { installAuth, StaticKeyAuthenticator, type Authenticator } from './http/auth.js';
import type { AppContext } from './http/context.js';
import { registerConversationRoutes } from './http/conversations/routes.js';
import { installErrorHandlers } from './http/errors.js';
import { registerOpenAIRoutes } from './http/openai/routes.js';
import { registerOpsRoutes } from './http/ops/routes.js';
import { installValidation } from './http/validation.js';
import { ModelCatalog } from './providers/model-catalog.js';
import { ProviderRegistry } from './providers/registry.js';
import { ChatService } from './runs/chat-service.js';
import { MemoryRunEventLog } from './runs/event-log.js';
import { RunManager } from './runs/manager.js';
import { Store } from './store/index.js';

/** A built app and its core. */
export interface ParleyApp {
  app: FastifyInstance;
  context: AppContext;
  /**
   * Stops: drains runs (up to `graceMs`, then marks the rest `interrupted`),
   * closes the HTTP server, providers and database.
   */
  close(graceMs?: number): Promise<void>;
}

/** Fastify's proxy trust from PARLEY_TRUST_PROXY: a hop count becomes a hop predicate. */
function trustProxySetting(value: Config['trustProxy']): boolean | string | ((address: string, hop: number) => boolean) {
  if (typeof value === 'number') return (_address, hop) => hop < value;
  return value;
}

/** Options for tests and embedding. */
export interface BuildOptions {
  /** Pino logger options, or false to silence. Default: JSON logs at the configured level. */
  logger?: boolean | { level: string };
}

/**
 * Builds the app: opens and migrates the database, configures providers and
 * registers every route.
 * @throws Error when the database cannot be opened.
 */
export async function buildApp(config: Readonly<Config>, options: BuildOptions = {}): Promise<ParleyApp> {
  const store = await Store.open({ dataDir: config.dataDir });
  const registry = new ProviderRegistry(config);
  const log = new MemoryRunEventLog(config.runLogTtlSeconds);
  const runs = new RunManager({ store, registry, log, maxRetries: config.upstreamRetries });
  const context: AppContext = {
    config,
    store,
    registry,
    models: new ModelCatalog(registry, config.modelsCacheSeconds),
    runs,
    chat: new ChatService(store, runs, config),
  };

  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    bodyLimit: config.limits.bodyLimitBytes,
    trustProxy: trustProxySetting(config.trustProxy),
    requestIdHeader: 'x-request-id',
    // Keep-alive sockets outlive requests; on close they are cut once runs drained.
    forceCloseConnections: true,
  });
  installValidation(app);
  installErrorHandlers(app);
  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins.includes('*') ? true : config.corsOrigins,
      exposedHeaders: ['x-request-id', 'retry-after'],
    });
  }
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  await app.register(swagger, {
    openapi: {
      info: { title: config.appTitle, version: config.version, description: 'Parley chat backend API' },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: config.apiKeys.length > 0 ? [{ apiKey: [] }, { bearer: [] }] : [],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, () => app.swagger());
  const authenticator: Authenticator = new StaticKeyAuthenticator(config.apiKeys);
  installAuth(app, authenticator);

  // Surfaces: each a thin view over the core (DESIGN.md "One core, many views").
  registerOpsRoutes(app, context);
  registerOpenAIRoutes(app, context);
  registerConversationRoutes(app, context);
  // end of surfaces

  return {
    app,
    context,
    async close(graceMs = 10_000) {
      await runs.drain(graceMs);
      await app.close();
      log.close();
      await registry.close();
      await store.close();
    },
  };
}
