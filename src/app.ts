/**
 * Builds the Parley server from a configuration without listening: the core
 * (buildCore, src/core.ts) and the HTTP surfaces over its services.
 * `main.ts` listens and handles signals; tests build the app in-process.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config/types.js';
import { buildCore, logRecovered, type ParleyCore } from './core.js';
import { installAuth, type Authenticator } from './http/plugins/auth.js';
import { registerAiSdkRoutes } from './http/surfaces/ai-sdk/routes.js';
import type { AppContext } from './http/context.js';
import { installCors } from './http/plugins/cors.js';
import { registerConversationRoutes } from './http/surfaces/conversations/routes.js';
import { answerClientError, answerFrameworkError, installErrorHandlers } from './http/plugins/errors.js';
import { createAuthenticator, installChatGuards, installEdgeGuards } from './http/plugins/guard/index.js';
import { registerJsonSseRoutes } from './http/surfaces/json-chat/routes.js';
import { registerOpenAIRoutes } from './http/surfaces/openai-chat/routes.js';
import { registerOpsRoutes } from './http/surfaces/ops/routes.js';
import { installRouteMethods } from './http/plugins/route-methods.js';
import { registerRunRoutes } from './http/surfaces/runs/routes.js';
import { registerPlainSseRoutes } from './http/surfaces/sse-chat/routes.js';
import { registerPlaygroundRoutes } from './http/surfaces/playground/routes.js';
import { registerResponsesRoutes } from './http/surfaces/openai-responses/routes.js';
import { registerTaskRoutes } from './http/surfaces/tasks/routes.js';
import { registerPersonaRoutes } from './http/surfaces/steps/personas.js';
import { registerStepsRoutes } from './http/surfaces/steps/routes.js';
import { installValidation } from './http/plugins/validation.js';
import { registerChatSocketRoutes } from './http/surfaces/tasks/websocket/routes.js';
import { loggerOptions, RequestLogController, requestIdFor } from './observability/index.js';

/** A built app and its core. */
export interface ParleyApp {
  app: FastifyInstance;
  /** The services the surfaces were given. */
  context: AppContext;
  /** The core under them (store, log, directory, manager …), for embedding and tests. */
  core: ParleyCore;
  /** Whether any client key existed when the app was built (API_KEYS, or a key made with `parley keys create`). */
  keysAtStartup: boolean;
  /**
   * Stops: refuses new runs (503 `shutting_down`), lets running ones finish
   * for up to `graceMs` (default PARLEY_SHUTDOWN_GRACE_MS) and stores the rest
   * as `interrupted`, lets event streams send their last event, then closes
   * the HTTP server and the core.
   */
  close(graceMs?: number): Promise<void>;
}

/** Seed ids (user_id, session_id) may be up to 128 characters; Fastify's default limit is 100. */
const ROUTER_OPTIONS = { maxParamLength: 256 };

/** The OpenAPI `security` requirement when keys are required: `x-api-key`, or `Authorization: Bearer`. */
const KEY_SECURITY: Record<string, string[]>[] = [{ apiKey: [] }, { bearer: [] }];

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
 * Builds the app: the core (see buildCore), then every route over its services.
 * @throws Error when the database cannot be opened; PersonaLoadError naming a bad persona file.
 */
export async function buildApp(config: Readonly<Config>, options: BuildOptions = {}): Promise<ParleyApp> {
  const core = await buildCore(config);
  const { observability, services } = core;
  const context: AppContext = { ...services, config, metrics: observability.metrics };

  const app = Fastify({
    logger: loggerOptions(config, options.logger),
    // One log line per request at info (see observability/logging.ts).
    logController: new RequestLogController(),
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
  logRecovered(observability, core.recoveredAtStart);
  for (const notice of core.startupNotices) app.log.warn(notice);
  installValidation(app);
  installErrorHandlers(app);
  // Before auth: a path taken under other methods is 405, and preflights are answered without a key.
  installRouteMethods(app, ROUTER_OPTIONS);
  await installCors(app, config.cors);
  // Keys made by `parley keys create` live in the store: the one store access outside the core's services.
  const authenticator: Authenticator = createAuthenticator(config, core.store.apiKeys);
  // Keys from API_KEYS and from the database count the same (README "Production settings", PARLEY_HOST).
  const keysAtStartup = await authenticator.isEnabled();
  await app.register(swagger, {
    openapi: {
      info: { title: config.appTitle, version: config.version, description: 'Parley chat backend API' },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: keysAtStartup ? KEY_SECURITY : [],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  // Whenever a key exists, also one made after startup, the document says keys are required.
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => ({
    ...app.swagger(),
    security: (await authenticator.isEnabled()) ? KEY_SECURITY : [],
  }));
  // Guard rails: host check and security headers before auth so every answer has them; rate limits after it.
  installEdgeGuards(app, config);
  installAuth(app, authenticator);
  await installChatGuards(app, config, (limit) => observability.metrics.rateLimitRejections.inc({ limit }), core.redis);

  // Surfaces: each a thin view over the core (DESIGN.md "One core, many views").
  registerOpsRoutes(app, context);
  registerOpenAIRoutes(app, context);
  registerConversationRoutes(app, context);
  registerRunRoutes(app, context);
  registerPlainSseRoutes(app, context);
  registerJsonSseRoutes(app, context);
  registerTaskRoutes(app, context);
  // WebSocket upgrades for WS /ws/chat, frames capped like request bodies. In a scope of
  // its own: the plugin's onRequest and onResponse hooks then run on that route only,
  // not on every HTTP request (the guards above, registered on the root, still apply).
  await app.register(async (sockets) => {
    await sockets.register(websocket, { options: { maxPayload: config.limits.bodyLimitBytes } });
    registerChatSocketRoutes(sockets, context, authenticator);
  });
  registerPersonaRoutes(app, context);
  registerStepsRoutes(app, context);
  registerAiSdkRoutes(app, context);
  registerResponsesRoutes(app, context);
  registerPlaygroundRoutes(app, context);
  // end of surfaces

  return {
    app,
    context,
    core,
    keysAtStartup,
    async close(graceMs = config.shutdownGraceMs) {
      await core.drain(graceMs);
      // Streams tailing those runs now send their last event and end; only slow readers are cut.
      await observability.streams.idle(STREAM_END_WAIT_MS);
      await app.close();
      await core.close();
    },
  };
}
