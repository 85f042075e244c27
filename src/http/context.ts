/**
 * What every route registration receives: the core's services, built once
 * per app by `buildCore`. Views reach the core only through these; none of
 * them opens the store, the provider registry or the run log.
 */
import type { Config } from '../config/types.js';
import type { ParleyMetrics } from '../observability/metrics.js';
import type { PersonaCatalog } from '../personas/catalog.js';
import type { ClientChatService } from '../services/client-chats.js';
import type { ResponseCache } from '../runs/response-cache.js';
import type { ResponsesService } from '../services/responses.js';
import type { ChatService } from '../services/chat.js';
import type { HealthService } from '../services/health.js';
import type { ModelService } from '../services/models.js';
import type { RunReader } from '../services/runs.js';
import type { TaskService } from '../services/tasks.js';
import type { UsageService } from '../services/usage.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route starts a run (an upstream call): chat rate limits apply to it. */
    startsRun?: boolean;
    /**
     * The route also resumes runs (`Last-Event-ID`, attaching to a running
     * answer): the chat rate limits are charged only when it starts one, by
     * the handler calling `chargeRunStart` (a resume is not a new chat).
     */
    resumes?: boolean;
  }
}

/** The core services behind the HTTP surfaces. */
export interface AppContext {
  config: Readonly<Config>;
  /** Conversations, histories and chat turns. */
  chat: ChatService;
  /** Runs: read, cancel, follow; which run a stream follows. */
  runs: RunReader;
  /** Tasks of seed 000's polling and WebSocket API. */
  tasks: TaskService;
  /** Token usage per tenant. */
  usage: UsageService;
  /** Model list, default model, providers. */
  models: ModelService;
  /** Database health. */
  health: HealthService;
  /** Personas loaded at startup (src/personas). */
  personas: PersonaCatalog;
  /** Answers of runs started with `cache: true` (seed 002). */
  responseCache: ResponseCache;
  /** Prometheus metrics; e.g. `metrics.cacheHits.inc({ cache: 'responses' })`. */
  metrics: ParleyMetrics;
  /** Chats whose id the client chooses (AI SDK `useChat`). */
  clientChats: ClientChatService;
  /** Responses of the OpenAI Responses surface. */
  responses: ResponsesService;
}
