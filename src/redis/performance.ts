/**
 * The seed-002 performance figures in Redis (REDIS_URL), shared by every
 * instance: a run started on one and figures read on another count it.
 * Per owner, so tenants stay separate:
 *
 * - `parley:perf-counts:<ownerId>`: hash of `total`, `completed`, `failed`,
 *   `cancelled` (HINCRBY);
 * - `parley:perf-samples:<ownerId>`: list of the most recent finished runs'
 *   `<responseMs>,<firstTokenMs or empty>`, newest first, trimmed to the
 *   sample capacity.
 */
import type { Redis } from 'ioredis';
import {
  PERFORMANCE_SAMPLES,
  type OwnerPerformance,
  type PerformanceSample,
  type PerformanceStore,
  type RunOutcome,
} from '../services/performance.js';

function countsKey(ownerId: string): string {
  return `parley:perf-counts:${ownerId}`;
}

function samplesKey(ownerId: string): string {
  return `parley:perf-samples:${ownerId}`;
}

/** {@link PerformanceStore} in Redis; see the module comment. */
export class RedisPerformanceStore implements PerformanceStore {
  /** @param capacity finished runs kept per owner. */
  constructor(
    private readonly redis: Redis,
    private readonly capacity = PERFORMANCE_SAMPLES,
  ) {}

  async started(ownerId: string): Promise<void> {
    await this.redis.hincrby(countsKey(ownerId), 'total', 1);
  }

  async finished(ownerId: string, outcome: RunOutcome, sample: PerformanceSample): Promise<void> {
    const key = samplesKey(ownerId);
    await this.redis
      .multi()
      .hincrby(countsKey(ownerId), outcome, 1)
      .lpush(key, `${sample.responseMs},${sample.firstTokenMs ?? ''}`)
      .ltrim(key, 0, this.capacity - 1)
      .exec();
  }

  async read(ownerId: string): Promise<OwnerPerformance> {
    const results = await this.redis.multi().hgetall(countsKey(ownerId)).lrange(samplesKey(ownerId), 0, -1).exec();
    const [countsResult, samplesResult] = results ?? [];
    if (countsResult?.[0]) throw countsResult[0];
    if (samplesResult?.[0]) throw samplesResult[0];
    const counts = (countsResult?.[1] ?? {}) as Record<string, string>;
    const samples = ((samplesResult?.[1] ?? []) as string[]).map((entry): PerformanceSample => {
      const [response = '0', firstToken = ''] = entry.split(',');
      return { responseMs: Number(response), firstTokenMs: firstToken === '' ? null : Number(firstToken) };
    });
    const count = (field: string) => Number(counts[field] ?? 0);
    return {
      counts: { total: count('total'), completed: count('completed'), failed: count('failed'), cancelled: count('cancelled') },
      samples,
    };
  }
}
