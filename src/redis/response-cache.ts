/**
 * The seed-002 response cache in Redis (REDIS_URL), shared by every instance:
 * an answer cached on one is served on all, and hits, misses and entries are
 * counted across them.
 *
 * - `parley:cache:<scope>:<key>`: the answer (JSON stream parts), `EX` the TTL;
 * - `parley:cache-lru`: sorted set of entry keys by last use (ms), for the
 *   least-recently-used bound over all scopes;
 * - `parley:cache-scope:<scope>`: sorted set of the scope's entry keys by
 *   expiry (ms), to count and clear them;
 * - `parley:cache-counts:<scope>`: hash of `hits` and `misses`.
 */
import type { Redis } from 'ioredis';
import type { CachedAnswer, MemoryResponseCacheOptions, ResponseCache, ResponseCacheStats } from '../runs/response-cache.js';

const LRU = 'parley:cache-lru';

/** Options: those of the in-memory cache, without the clock (Redis expires entries). */
export type RedisResponseCacheOptions = Omit<MemoryResponseCacheOptions, 'now'>;

/** {@link ResponseCache} in Redis; see the module comment. */
export class RedisResponseCache implements ResponseCache {
  constructor(
    private readonly redis: Redis,
    private readonly options: RedisResponseCacheOptions,
  ) {}

  private entryKey(scope: string, key: string): string {
    return `parley:cache:${scope}:${key}`;
  }

  async get(scope: string, key: string): Promise<CachedAnswer | undefined> {
    const entry = this.entryKey(scope, key);
    const json = await this.redis.get(entry);
    const counts = `parley:cache-counts:${scope}`;
    if (json === null) {
      this.options.onMiss?.();
      await this.redis.hincrby(counts, 'misses', 1);
      return undefined;
    }
    this.options.onHit?.();
    await this.redis.pipeline().hincrby(counts, 'hits', 1).zadd(LRU, Date.now(), entry).exec();
    return JSON.parse(json) as CachedAnswer;
  }

  async set(scope: string, key: string, answer: CachedAnswer): Promise<void> {
    const entry = this.entryKey(scope, key);
    const now = Date.now();
    const { ttlSeconds, maxEntries } = this.options;
    const results = await this.redis
      .multi()
      .set(entry, JSON.stringify(answer), 'EX', ttlSeconds)
      .zadd(LRU, now, entry)
      .zadd(`parley:cache-scope:${scope}`, now + ttlSeconds * 1000, entry)
      .zcard(LRU)
      .exec();
    const size = Number(results?.[3]?.[1] ?? 0);
    if (size <= maxEntries) return;
    // Over the bound: the least recently used go (their scope indexes drop them when next counted).
    const evicted = await this.redis.zpopmin(LRU, size - maxEntries);
    const keys = evicted.filter((_, index) => index % 2 === 0);
    if (keys.length > 0) await this.redis.del(...keys);
  }

  async clear(scope: string): Promise<number> {
    const index = `parley:cache-scope:${scope}`;
    const keys = await this.redis.zrangebyscore(index, String(Date.now()), '+inf');
    const pipeline = this.redis.pipeline().del(index);
    if (keys.length > 0) pipeline.del(...keys).zrem(LRU, ...keys);
    const results = await pipeline.exec();
    return keys.length === 0 ? 0 : Number(results?.[1]?.[1] ?? 0);
  }

  async stats(scope: string): Promise<ResponseCacheStats> {
    const index = `parley:cache-scope:${scope}`;
    const now = Date.now();
    const [, members, counts] = (await this.redis
      .pipeline()
      .zremrangebyscore(index, '-inf', String(now))
      .zrange(index, '0', '-1')
      .hmget(`parley:cache-counts:${scope}`, 'hits', 'misses')
      .exec()) as [unknown, [Error | null, string[]], [Error | null, (string | null)[]]];
    // Entries evicted by the LRU bound are still indexed until they would expire: count only live ones.
    const live = members[1].length === 0 ? 0 : (await this.redis.exists(...members[1]));
    const hits = Number(counts[1][0] ?? 0);
    const misses = Number(counts[1][1] ?? 0);
    return {
      entries: live,
      max_entries: this.options.maxEntries,
      ttl_seconds: this.options.ttlSeconds,
      hits,
      misses,
      hit_rate: hits + misses === 0 ? 0 : hits / (hits + misses),
    };
  }
}
