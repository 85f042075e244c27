/**
 * The Redis connection of a scaled-out instance (REDIS_URL). One command
 * connection serves the run log's writes, the directory, rate limits and
 * caches (ioredis pipelines what is issued in the same tick); blocking reads
 * and pub/sub get connections of their own (`duplicate()`), since a blocked
 * or subscribed connection cannot send other commands.
 *
 * ioredis reconnects on its own after Redis restarts; commands issued while
 * it is away wait in its offline queue (bounded by `maxRetriesPerRequest`
 * reconnect attempts each), so a Redis restart delays work instead of failing it.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { ConfigError } from '../config/errors.js';

/** How long the first connection may take before startup fails, ms. */
const CONNECT_TIMEOUT_MS = 5_000;

/** Reconnect backoff: 50 ms, 100 ms, … capped at 1 s, so a restarted Redis is found within a second. */
function retryStrategy(attempt: number): number {
  return Math.min(attempt * 50, 1_000);
}

/** Options every Parley connection uses. */
export function redisOptions(name: string): RedisOptions {
  return { connectionName: name, lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, retryStrategy, maxRetriesPerRequest: 20 };
}

/**
 * Connects to REDIS_URL and checks it answers PING.
 * @throws ConfigError naming REDIS_URL when Redis cannot be reached (the URL itself is not echoed: it may hold a password).
 */
export async function connectRedis(url: string, name = 'parley'): Promise<Redis> {
  const redis = new Redis(url, { ...redisOptions(name), maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new ConfigError('REDIS_URL', `cannot connect to Redis: ${(error as Error).message}`);
  }
  redis.disconnect();
  // The checked connection gave up on errors (so startup fails fast); the one kept reconnects for good.
  const kept = new Redis(url, redisOptions(name));
  // Errors while Redis is away are reported through readiness and the failing commands; without a listener ioredis prints each one.
  kept.on('error', () => undefined);
  await kept.connect();
  return kept;
}
