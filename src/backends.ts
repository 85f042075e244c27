/**
 * Chooses and opens the backends of the core (see README "Scale out"):
 *
 * - the store: PostgreSQL with DATABASE_URL, else the SQLite file;
 * - with REDIS_URL, the run event log (Redis Streams) and run directory in
 *   Redis, shared by every instance; without it, both in this process.
 */
import type { Redis } from 'ioredis';
import type { Config } from './config/types.js';
import type { Observability } from './observability/index.js';
import { connectRedis } from './redis/connection.js';
import { RedisRunDirectory } from './redis/directory.js';
import { RedisRunEventLog } from './redis/event-log.js';
import { MemoryRunDirectory, type RunDirectory } from './runs/directory.js';
import { MemoryRunEventLog, type RunEventLog } from './runs/event-log.js';
import { databaseLocation, Store } from './store/index.js';

/** The opened backends. */
export interface Backends {
  store: Store;
  log: RunEventLog;
  directory: RunDirectory;
  /** The shared command connection, when REDIS_URL is set. */
  redis?: Redis;
  /** What an operator should know about this choice, logged once at startup. */
  notices: string[];
  /** Closes the log, the directory's connections, Redis and the database. */
  close(): Promise<void>;
}

/** The warning of a shared database without a shared Redis. */
export const NO_REDIS_NOTICE =
  'DATABASE_URL is set but REDIS_URL is not: answers are resumable, cancellable and rate-limited only on the instance that runs them; set REDIS_URL to run several instances';

/**
 * Opens the store (migrating it) and, with REDIS_URL, connects to Redis.
 * @throws ConfigError naming DATABASE_URL or REDIS_URL when it cannot be reached;
 *   Error when a migration fails.
 */
export async function openBackends(config: Readonly<Config>, observability: Observability): Promise<Backends> {
  const redis = config.redisUrl === undefined ? undefined : await connectRedis(config.redisUrl);
  let store: Store;
  try {
    store = await Store.open(databaseLocation(config));
  } catch (error) {
    redis?.disconnect();
    throw error;
  }
  if (redis === undefined) {
    const log = new MemoryRunEventLog(config.runLogTtlSeconds, config.runLogMaxRuns, Date.now, { maxBytes: config.runLogMaxBytes });
    return {
      store,
      log,
      directory: new MemoryRunDirectory(),
      notices: config.databaseUrl === undefined ? [] : [NO_REDIS_NOTICE],
      async close() {
        await log.close();
        await store.close();
      },
    };
  }
  const onError = (error: unknown) => observability.log?.warn({ err: error }, 'Redis command failed');
  const log = new RedisRunEventLog(redis, { ttlSeconds: config.runLogTtlSeconds, maxEndedRuns: config.runLogMaxRuns, maxBytes: config.runLogMaxBytes, onError });
  const directory = new RedisRunDirectory(redis, onError);
  return {
    store,
    log,
    directory,
    redis,
    notices: [],
    async close() {
      await log.close();
      directory.close();
      await store.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
