/**
 * The validated, frozen configuration passed down from `main.ts`. Nothing reads
 * `process.env` after it is built. Components own the types of their options (the mock provider's in
 * src/providers/mock, the guard rails' in src/http/plugins/guard, CORS in
 * src/http/plugins/cors.ts …); the loader (load.ts) builds them from the variables.
 */
import type { CorsOptions } from '../http/plugins/cors.js';
import type { GuardConfig } from '../http/plugins/guard/options.js';
import type { MockProviderOptions } from '../providers/mock/index.js';
import type { RemoteProviderConfig } from '../providers/config.js';
import type { ModelAliases } from '../providers/registry.js';
import type { AttachmentLimits } from '../runs/attachments.js';
import type { ThinkingMode } from '../runs/thinking/index.js';

/** Log levels pino understands. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** The task polling + WebSocket surface (seed 000). */
export interface TaskSurfaceConfig {
  /** Most tasks remembered; the oldest is forgotten first. */
  maxTasks: number;
  /** Seconds a task id stays readable after its start. */
  ttlSeconds: number;
  /** Thinking mode when a request names none. */
  thinking: ThinkingMode;
  /** Characters per WebSocket `answer_chunk`. */
  chunkSize: number;
  /** Seconds between WebSocket `ping` messages. */
  heartbeatIntervalSeconds: number;
}

/** Limits on what a client may send. */
export interface InputLimits {
  bodyLimitBytes: number;
  /** Images, audio and files in messages (PARLEY_MAX_ATTACHMENT_BYTES, PARLEY_MAX_MESSAGE_ATTACHMENT_BYTES, PARLEY_ATTACHMENT_TYPES). */
  attachments: AttachmentLimits;
  maxMessageChars: number;
  maxMessages: number;
}

/** The whole configuration. */
export interface Config {
  /**
   * Listen address (PARLEY_HOST); undefined: decided at startup by
   * {@link defaultListenHost} from whether any client key exists then.
   */
  host: string | undefined;
  port: number;
  /** Pending connections the listening socket queues (PARLEY_LISTEN_BACKLOG). */
  listenBacklog: number;
  trustProxy: boolean | number | string;
  logLevel: LogLevel;
  /** Browser origins allowed by CORS and the WebSocket origin check. */
  cors: CorsOptions;
  appTitle: string;
  appUrl?: string;
  systemPrompt?: string;
  /** Default model, possibly `provider:`-prefixed. */
  model?: string;
  temperature?: number;
  maxTokens?: number;
  /** Configured providers in priority order; the mock is always present besides. */
  providers: RemoteProviderConfig[];
  /** Provider of unprefixed model ids: `mock` or one of `providers`. */
  defaultProvider: string;
  mock: MockProviderOptions;
  /** PARLEY_MODEL_ALIASES: model names clients send, mapped to targets. */
  modelAliases: ModelAliases;
  /** Client keys from API_KEYS and INTERNAL_API_KEY; empty means no auth. */
  apiKeys: string[];
  dataDir: string;
  /** PostgreSQL URL (DATABASE_URL); undefined: the SQLite file under `dataDir`. */
  databaseUrl?: string;
  /** Redis URL (REDIS_URL); undefined: run logs, directory, limits and caches in this process. */
  redisUrl?: string;
  limits: InputLimits;
  historyMessages: number;
  /** Default thinking mode of conversation surfaces. */
  thinking: ThinkingMode;
  runLogTtlSeconds: number;
  /** Most finished runs the in-memory run log keeps. */
  runLogMaxRuns: number;
  /** Most bytes (estimated) the in-memory run log holds (PARLEY_RUN_LOG_MAX_BYTES). */
  runLogMaxBytes: number;
  /** This instance in run leases (PARLEY_INSTANCE_ID); undefined: the one kept in the data directory. */
  instanceId?: string;
  /** Lease of a running run without a heartbeat, seconds (PARLEY_RUN_LEASE_SECONDS). */
  runLeaseSeconds: number;
  /** Task polling + WebSocket surface (seed 000). */
  tasks: TaskSurfaceConfig;
  modelsCacheSeconds: number;
  upstreamRetries: number;
  /** PARLEY_FALLBACK_COOLDOWN_SECONDS: how long a fallback target that failed before its first byte is skipped. */
  fallbackCooldownSeconds: number;
  /** Log each run's user text at debug level (PARLEY_LOG_PROMPTS). */
  logPrompts: boolean;
  /** Bearer token GET /metrics requires; public when undefined (PARLEY_METRICS_KEY). */
  metricsKey?: string;
  /** How long running answers may finish on shutdown, ms (PARLEY_SHUTDOWN_GRACE_MS). */
  shutdownGraceMs: number;
  /** Keys cache, rate limits, trusted hosts, content filter. */
  guard: GuardConfig;
  /** Persona files (absolute directory) and the persona of conversations that chose none. */
  personas: { directory: string; defaultPersona: string };
  /** In-memory response cache of the surfaces that opt in (seed 002): TTL in seconds, LRU bound in entries. */
  responseCache: { ttlSeconds: number; maxEntries: number };
  /** Steps + persona surface (seed 002): stored messages sent upstream, and thinking mode when the request names none. */
  steps: { historyMessages: number; thinking: ThinkingMode };
  version: string;
}
