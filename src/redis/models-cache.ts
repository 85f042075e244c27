/**
 * The `GET /models` list cache in Redis (REDIS_URL), shared by every
 * instance: `parley:models` holds the list as JSON, `PX` the cache time
 * (PARLEY_MODELS_CACHE_SECONDS), so one instance's fetch serves all.
 */
import type { Redis } from 'ioredis';
import type { SharedModelCache } from '../providers/model-catalog.js';
import type { ModelInfo } from '../providers/types.js';

const KEY = 'parley:models';

/** {@link SharedModelCache} in Redis; see the module comment. */
export class RedisModelCache implements SharedModelCache {
  constructor(private readonly redis: Redis) {}

  async get(): Promise<{ models: ModelInfo[]; ttlMs: number } | undefined> {
    const results = await this.redis.multi().get(KEY).pttl(KEY).exec();
    const [json, ttl] = [results?.[0]?.[1], results?.[1]?.[1]];
    if (typeof json !== 'string' || typeof ttl !== 'number' || ttl <= 0) return undefined;
    return { models: JSON.parse(json) as ModelInfo[], ttlMs: ttl };
  }

  async set(models: ModelInfo[], ttlSeconds: number): Promise<void> {
    if (ttlSeconds <= 0) return;
    await this.redis.set(KEY, JSON.stringify(models), 'PX', Math.round(ttlSeconds * 1000));
  }
}
