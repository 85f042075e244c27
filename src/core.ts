/**
 * The composition root of the core: builds the store, providers, run event
 * log, run directory, run manager, leases and the services the views use.
 * This is the one place where backends are chosen (the embedded ones today:
 * SQLite, the in-memory log, directory and response cache); `buildApp`
 * (app.ts) wires the HTTP surfaces over what this returns.
 */
import type { Config } from './config/types.js';
import { Observability } from './observability/index.js';
import { PersonaCatalog } from './personas/catalog.js';
import { createProvider } from './providers/factory.js';
import { ProviderRegistry } from './providers/registry.js';
import { ContentFilter } from './runs/content-filter.js';
import type { RunDirectory } from './runs/directory.js';
import type { RunEventLog } from './runs/event-log.js';
import { resolveInstanceId } from './runs/instance-id.js';
import { RunLeases } from './runs/leases.js';
import { RunManager } from './runs/manager.js';
import { MemoryResponseCache, type ResponseCache } from './runs/response-cache.js';
import { ChatService } from './services/chat.js';
import { ClientChatService } from './services/client-chats.js';
import { HealthService } from './services/health.js';
import { ModelService } from './services/models.js';
import { ResponsesService } from './services/responses.js';
import { RunService } from './services/runs.js';
import { TaskService } from './services/tasks.js';
import { RedisResponseCache } from './redis/response-cache.js';
import { RedisModelCache } from './redis/models-cache.js';
import { RedisPerformanceStore } from './redis/performance.js';
import { MemoryPerformanceStore, PerformanceService } from './services/performance.js';
import { RedisUnstoredResponses } from './services/unstored-responses.js';
import { UsageService } from './services/usage.js';
import type { Store, RecoveredRun } from './store/index.js';
import { openBackends } from './backends.js';
import type { Redis } from 'ioredis';

/** The services the HTTP surfaces reach the core through. */
export interface CoreServices {
  /** Conversations, chat turns, histories. */
  chat: ChatService;
  /** Reading and cancelling runs; which run a stream follows. */
  runs: RunService;
  /** Seed 000's tasks. */
  tasks: TaskService;
  usage: UsageService;
  models: ModelService;
  health: HealthService;
  /** Personas loaded at startup. */
  personas: PersonaCatalog;
  /** Answers of runs started with `cache: true` (seed 002). */
  responseCache: ResponseCache;
  /** Chats whose id the client chooses (AI SDK `useChat`). */
  clientChats: ClientChatService;
  /** Responses of the OpenAI Responses surface. */
  responses: ResponsesService;
  /** Seed 002's measured counts and timings; shared across instances with REDIS_URL. */
  performance: PerformanceService;
}

/** A built core. */
export interface ParleyCore {
  config: Readonly<Config>;
  /** This instance's name on its runs (PARLEY_INSTANCE_ID or the one kept in the data directory). */
  instanceId: string;
  store: Store;
  registry: ProviderRegistry;
  log: RunEventLog;
  directory: RunDirectory;
  manager: RunManager;
  leases: RunLeases;
  /** Metrics, run logs and open streams; `buildApp` installs it on the HTTP server. */
  observability: Observability;
  /** Things an operator should know about the backends chosen (logged once the app has a logger). */
  startupNotices: readonly string[];
  /** The shared Redis connection when REDIS_URL is set (rate limits use it too). */
  redis?: Redis;
  /** Runs lease recovery stored as `interrupted` while the core started (logged once the app has a logger). */
  recoveredAtStart: readonly RecoveredRun[];
  services: CoreServices;
  /**
   * Refuses new runs, lets running ones finish for up to `graceMs` and stops
   * the rest as `interrupted`; resolves with whether all ended with their rows stored.
   */
  drain(graceMs: number): Promise<boolean>;
  /** Stops the leases and closes the log, providers and database. Call after {@link drain}. */
  close(): Promise<void>;
}

/**
 * Builds the core: loads personas, opens and migrates the database, recovers
 * the runs whose instance died (see runs/leases.ts), and starts the leases.
 * @throws Error when the database cannot be opened; PersonaLoadError naming a bad persona file;
 *   Error naming the instance id file when it cannot be read or written.
 */
export async function buildCore(config: Readonly<Config>): Promise<ParleyCore> {
  // Before the database opens, so a bad persona file stops startup with nothing to clean up.
  const personas = PersonaCatalog.load(config.personas.directory, config.personas.defaultPersona);
  const instanceId = resolveInstanceId(config.instanceId, config.dataDir);
  const observability = new Observability(config);
  const backends = await openBackends(config, observability);
  const { store } = backends;
  observability.metrics.watchSqliteWal(() => store.walCheckpoints);
  const registry = new ProviderRegistry({
    providers: [...config.providers, { kind: 'mock' as const, name: 'mock' as const, ...config.mock }].map(createProvider),
    defaultProvider: config.defaultProvider,
    defaultModel: config.model,
    modelAliases: config.modelAliases,
  });
  const { log, directory } = backends;
  // The filter only logs while serving requests, by which time the app installed the logger.
  const contentFilter = new ContentFilter(config.guard.contentFilter, { warn: (details, message) => observability.log?.warn(details, message) });
  const cacheOptions = {
    ...config.responseCache,
    onHit: () => observability.metrics.cacheHits.inc({ cache: 'responses' }),
    onMiss: () => observability.metrics.cacheMisses.inc({ cache: 'responses' }),
  };
  // Shared by every instance with REDIS_URL: an answer cached on one is served on all.
  const responseCache: ResponseCache =
    backends.redis === undefined ? new MemoryResponseCache(cacheOptions) : new RedisResponseCache(backends.redis, cacheOptions);
  const leaseMs = config.runLeaseSeconds * 1000;
  const manager = new RunManager({
    store,
    registry,
    log,
    directory,
    instanceId,
    leaseMs,
    maxRetries: config.upstreamRetries,
    fallbackCooldownMs: config.fallbackCooldownSeconds * 1000,
    attachments: config.limits.attachments,
    contentFilter,
    observer: observability.runObserver,
    responseCache,
  });
  const leases = new RunLeases({
    store,
    log,
    directory,
    holder: manager,
    instanceId,
    leaseMs,
    onError: (error, during) => observability.log?.warn({ err: error, during }, 'run lease upkeep failed; retrying'),
    onRecovered: (runs) => logRecovered(observability, runs),
  });
  let recoveredAtStart: RecoveredRun[];
  try {
    recoveredAtStart = await leases.start();
  } catch (error) {
    await backends.close();
    throw error;
  }

  const runs = new RunService(manager, log, store);
  const chat = new ChatService(
    store,
    runs,
    {
      historyMessages: config.historyMessages,
      thinking: config.thinking,
      systemPrompt: config.systemPrompt,
      model: config.model,
      temperature: config.temperature,
      maxTokens: config.maxTokens,
    },
    contentFilter,
    personas,
  );
  const services: CoreServices = {
    chat,
    runs,
    tasks: new TaskService(chat, runs, store, { maxTasks: config.tasks.maxTasks, ttlSeconds: config.tasks.ttlSeconds, thinking: config.tasks.thinking }),
    usage: new UsageService(store),
    // Shared by every instance with REDIS_URL: one fetch of the providers' lists serves all.
    models: new ModelService(registry, {
      cacheSeconds: config.modelsCacheSeconds,
      shared: backends.redis === undefined ? undefined : new RedisModelCache(backends.redis),
      onError: (error) => observability.log?.warn({ err: error }, 'shared model list cache failed'),
    }),
    health: new HealthService(store, backends.redis),
    personas,
    responseCache,
    clientChats: new ClientChatService(store, runs, chat),
    responses: new ResponsesService(
      store,
      runs,
      chat,
      { maxTokens: config.maxTokens, runLogTtlSeconds: config.runLogTtlSeconds, runLogMaxRuns: config.runLogMaxRuns },
      backends.redis === undefined ? undefined : new RedisUnstoredResponses(backends.redis, config.runLogTtlSeconds),
    ),
    // Shared by every instance with REDIS_URL: runs started on any count in the figures read on all.
    performance: new PerformanceService(
      runs,
      backends.redis === undefined ? new MemoryPerformanceStore() : new RedisPerformanceStore(backends.redis),
      (error) => observability.log?.warn({ err: error }, 'performance figures could not be recorded'),
    ),
  };

  return {
    config,
    instanceId,
    store,
    registry,
    log,
    directory,
    manager,
    leases,
    observability,
    recoveredAtStart,
    startupNotices: backends.notices,
    redis: backends.redis,
    services,
    drain: (graceMs) => manager.drain(graceMs),
    async close() {
      leases.stop();
      await registry.close();
      await backends.close();
    },
  };
}

/** Logs runs recovered as `interrupted` (their instance stopped without finishing them). */
export function logRecovered(observability: Observability, runs: readonly RecoveredRun[]): void {
  if (runs.length === 0) return;
  const recovered = runs.map((run) => ({ runId: run.id, instanceId: run.instance_id }));
  observability.log?.warn({ runs: recovered }, 'answers whose instance stopped before finishing them were stored as interrupted');
}
