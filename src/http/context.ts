/** What every route registration receives: the core, built once per app. */
import type { Config } from '../config/types.js';
import type { ParleyMetrics } from '../observability/metrics.js';
import type { PersonaCatalog } from '../personas/catalog.js';
import type { ModelCatalog } from '../providers/model-catalog.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ChatService } from '../runs/chat-service.js';
import type { ClientChatService } from '../runs/client-chats.js';
import type { ResponsesService } from '../runs/responses-service.js';
import type { RunManager } from '../runs/manager.js';
import type { ResponseCache } from '../runs/response-cache.js';
import type { TaskRegistry } from '../runs/tasks.js';
import type { Store } from '../store/index.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route starts a run (an upstream call): chat rate limits apply to it. */
    startsRun?: boolean;
  }
}

/** The core services behind the HTTP surfaces. */
export interface AppContext {
  config: Readonly<Config>;
  store: Store;
  registry: ProviderRegistry;
  models: ModelCatalog;
  runs: RunManager;
  chat: ChatService;
  /** Personas loaded at startup (src/personas). */
  personas: PersonaCatalog;
  /** Answers of runs started with `cache: true` (seed 002). */
  responseCache: ResponseCache;
  /** Prometheus metrics; e.g. `metrics.cacheHits.inc({ cache: 'responses' })`. */
  metrics: ParleyMetrics;
  /** Tasks of seed 000's polling and WebSocket API. */
  tasks: TaskRegistry;
  /** Chats whose id the client chooses (AI SDK `useChat`). */
  clientChats: ClientChatService;
  /** Responses of the OpenAI Responses surface. */
  responses: ResponsesService;
}
