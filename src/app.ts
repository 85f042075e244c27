/**
 * Builds the Parley server from a configuration without listening: the core
 * (store, providers, run manager, chat service) and the HTTP surfaces over it.
 * `main.ts` listens and handles signals; tests build the app in-process.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config/types.js';
import { installAuth, type Authenticator } from './http/auth.js';
import { registerAiSdkRoutes } from './http/ai-sdk/routes.js';
import type { AppContext } from './http/context.js';
import { installCors } from './http/cors.js';
import { registerConversationRoutes } from './http/conversations/routes.js';
import { answerClientError, answerFrameworkError, installErrorHandlers } from './http/errors.js';
import { createAuthenticator, installChatGuards, installEdgeGuards } from './http/guard/index.js';
import { registerJsonSseRoutes } from './http/json-sse/routes.js';
import { registerOpenAIRoutes } from './http/openai/routes.js';
import { registerOpsRoutes } from './http/ops/routes.js';
import { installRouteMethods } from './http/route-methods.js';
import { registerRunRoutes } from './http/runs/routes.js';
import { registerPlainSseRoutes } from './http/plain-sse/routes.js';
import { registerPlaygroundRoutes } from './http/playground/routes.js';
import { registerResponsesRoutes } from './http/responses/routes.js';
import { registerTaskRoutes } from './http/tasks/routes.js';
import { registerPersonaRoutes } from './http/personas/routes.js';
import { registerStepsRoutes } from './http/steps/routes.js';
import { installValidation } from './http/validation.js';
import { PersonaCatalog } from './personas/catalog.js';
import { registerChatSocketRoutes } from './http/websocket/routes.js';
import { loggerOptions, Observability, requestIdFor } from './observability/index.js';
import { ModelCatalog } from './providers/model-catalog.js';
import { createProvider } from './providers/factory.js';
import { ProviderRegistry } from './providers/registry.js';
import { ChatService } from './runs/chat-service.js';
import { ClientChatService } from './runs/client-chats.js';
import { ResponsesService } from './runs/responses-service.js';
import { ContentFilter } from './runs/content-filter.js';
import { MemoryRunEventLog } from './runs/event-log.js';
import { RunManager } from './runs/manager.js';
import { MemoryResponseCache } from './runs/response-cache.js';
import { TaskRegistry } from './runs/tasks.js';
import { Store } from './store/index.js';

/** A built app and its core. */
export interface ParleyApp {
  app: FastifyInstance;
  context: AppContext;
  /**
   * Stops: refuses new runs (503 `shutting_down`), lets running ones finish
   * for up to `graceMs` (default PARLEY_SHUTDOWN_GRACE_MS) and stores the rest
   * as `interrupted`, lets event streams send their last event, then closes
   * the HTTP server, providers and database.
   */
  close(graceMs?: number): Promise<void>;
}

/** Seed ids (user_id, session_id) may be up to 128 characters; Fastify's default limit is 100. */
const ROUTER_OPTIONS = { maxParamLength: 256 };

/** On close, how long event streams get to send their last event after the runs ended, ms. */
const STREAM_END_WAIT_MS = 2_000;

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
 * @throws Error when the database cannot be opened; PersonaLoadError naming a bad persona file.
 */
export async function buildApp(config: Readonly<Config>, options: BuildOptions = {}): Promise<ParleyApp> {
  // Before the database opens, so a bad persona file stops startup with nothing to clean up.
  const personas = PersonaCatalog.load(config.personas.directory, config.personas.defaultPersona);
  const store = await Store.open({ dataDir: config.dataDir });
  const registry = new ProviderRegistry({
    providers: [...config.providers, { kind: 'mock' as const, name: 'mock' as const, ...config.mock }].map(createProvider),
    defaultProvider: config.defaultProvider,
    defaultModel: config.model,
    modelAliases: config.modelAliases,
  });
  const log = new MemoryRunEventLog(config.runLogTtlSeconds, config.runLogMaxRuns);
  // `app` is created below; the filter only logs while serving requests, by which time it exists.
  const contentFilter = new ContentFilter(config.guard.contentFilter, { warn: (details, message) => app.log.warn(details, message) });
  const observability = new Observability(config);
  const responseCache = new MemoryResponseCache({
    ...config.responseCache,
    onHit: () => observability.metrics.cacheHits.inc({ cache: 'responses' }),
    onMiss: () => observability.metrics.cacheMisses.inc({ cache: 'responses' }),
  });
  const runs = new RunManager({ store, registry, log, maxRetries: config.upstreamRetries, contentFilter, observer: observability.runObserver, responseCache });
  const chat = new ChatService(store, runs, config, contentFilter, personas);
  const context: AppContext = {
    config,
    store,
    registry,
    models: new ModelCatalog(registry, config.modelsCacheSeconds),
    runs,
    chat,
    personas,
    responseCache,
    metrics: observability.metrics,
    tasks: new TaskRegistry({ chat, runs, store, maxTasks: config.tasks.maxTasks, ttlSeconds: config.tasks.ttlSeconds, thinking: config.tasks.thinking }),
    clientChats: new ClientChatService(store, runs, chat),
    responses: new ResponsesService(store, runs, chat, config),
  };

  const app = Fastify({
    logger: loggerOptions(config, options.logger),
    bodyLimit: config.limits.bodyLimitBytes,
    trustProxy: trustProxySetting(config.trustProxy),
    // X-Request-ID is validated (or generated) by genReqId; see observability/request-id.ts.
    requestIdHeader: false,
    genReqId: requestIdFor,
    // Router refusals (bad URL, over-long path parameter) answer with the JSON error body too.
    frameworkErrors: answerFrameworkError,
    // Requests Node's HTTP parser refuses (raw bytes in the path …) too.
    clientErrorHandler: answerClientError,
    routerOptions: ROUTER_OPTIONS,
    // Keep-alive sockets outlive requests; on close they are cut once runs drained.
    forceCloseConnections: true,
  });
  // First hooks of all: requests refused by later hooks are timed and carry their id too.
  observability.install(app);
  installValidation(app);
  installErrorHandlers(app);
  // Before auth: a path taken under other methods is 405, and preflights are answered without a key.
  installRouteMethods(app, ROUTER_OPTIONS);
  await installCors(app, config.cors);
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
  const authenticator: Authenticator = createAuthenticator(config, store);
  // Guard rails: host check and security headers before auth so every answer has them; rate limits after it.
  await installEdgeGuards(app, config);
  installAuth(app, authenticator);
  await installChatGuards(app, config, (limit) => observability.metrics.rateLimitRejections.inc({ limit }));

  // WebSocket upgrades for WS /ws/chat; frames are capped like request bodies.
  await app.register(websocket, { options: { maxPayload: config.limits.bodyLimitBytes } });

  // Surfaces: each a thin view over the core (DESIGN.md "One core, many views").
  registerOpsRoutes(app, context);
  registerOpenAIRoutes(app, context);
  registerConversationRoutes(app, context);
  registerRunRoutes(app, context);
  registerPlainSseRoutes(app, context);
  registerJsonSseRoutes(app, context);
  registerTaskRoutes(app, context);
  registerChatSocketRoutes(app, context, authenticator);
  registerPersonaRoutes(app, context);
  registerStepsRoutes(app, context);
  registerAiSdkRoutes(app, context);
  registerResponsesRoutes(app, context);
  registerPlaygroundRoutes(app, context);
  // end of surfaces

  return {
    app,
    context,
    async close(graceMs = config.shutdownGraceMs) {
      await runs.drain(graceMs);
      // Streams tailing those runs now send their last event and end; only slow readers are cut.
      await observability.streams.idle(STREAM_END_WAIT_MS);
      await app.close();
      log.close();
      await registry.close();
      await store.close();
    },
  };
}
