/**
 * Where `store: false` Responses live: not in the database (the client asked
 * not to store them) but readable, by id, until PARLEY_RUN_LOG_TTL_SECONDS
 * after their run ended. In this process embedded; in Redis with REDIS_URL, so
 * any instance finds them. A record carries its final `output`, so it outlives
 * its run's events (a foreground one's are dropped once its stream is done).
 */
import type { Redis } from 'ioredis';
import type { ResponseRecord } from './responses.js';

/** Records of `store: false` responses. */
export interface UnstoredResponses {
  /** Keeps a record as its run starts. */
  put(record: ResponseRecord): Promise<void>;
  /** Keeps the record with its final `output`, readable `ttlSeconds` from now. */
  finish(record: ResponseRecord): Promise<void>;
  /** A record by response id (any owner's: the caller checks), or undefined once expired. */
  get(responseId: string): Promise<ResponseRecord | undefined>;
  delete(responseId: string): Promise<void>;
}

/**
 * This process's records. Ended ones expire after `ttlSeconds`, and past
 * `maxEnded` ended records the oldest go first (like the run log's
 * PARLEY_RUN_LOG_MAX_RUNS), so memory is bounded by count and not only by time.
 */
export class MemoryUnstoredResponses implements UnstoredResponses {
  private readonly records = new Map<string, ResponseRecord>();
  /** Ended records, oldest first, with their expiry timers. */
  private readonly ended = new Map<string, NodeJS.Timeout>();

  /**
   * @param ttlSeconds how long an ended record stays (PARLEY_RUN_LOG_TTL_SECONDS).
   * @param maxEnded most ended records kept (PARLEY_RUN_LOG_MAX_RUNS).
   */
  constructor(
    private readonly ttlSeconds: number,
    private readonly maxEnded: number,
  ) {}

  put(record: ResponseRecord): Promise<void> {
    this.records.set(record.id, record);
    return Promise.resolve();
  }

  finish(record: ResponseRecord): Promise<void> {
    if (!this.records.has(record.id)) return Promise.resolve();
    clearTimeout(this.ended.get(record.id));
    this.ended.delete(record.id);
    const expiry = setTimeout(() => void this.delete(record.id), this.ttlSeconds * 1000);
    expiry.unref();
    this.ended.set(record.id, expiry);
    for (const oldest of this.ended.keys()) {
      if (this.ended.size <= this.maxEnded) break;
      void this.delete(oldest);
    }
    return Promise.resolve();
  }

  get(responseId: string): Promise<ResponseRecord | undefined> {
    return Promise.resolve(this.records.get(responseId));
  }

  delete(responseId: string): Promise<void> {
    clearTimeout(this.ended.get(responseId));
    this.ended.delete(responseId);
    this.records.delete(responseId);
    return Promise.resolve();
  }
}

/** Records in Redis (`parley:response:<id>`, JSON), expiring `ttlSeconds` after their last write. */
export class RedisUnstoredResponses implements UnstoredResponses {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  private key(responseId: string): string {
    return `parley:response:${responseId}`;
  }

  async put(record: ResponseRecord): Promise<void> {
    await this.redis.set(this.key(record.id), JSON.stringify(record), 'EX', this.ttlSeconds);
  }

  finish(record: ResponseRecord): Promise<void> {
    return this.put(record);
  }

  async get(responseId: string): Promise<ResponseRecord | undefined> {
    const json = await this.redis.get(this.key(responseId));
    return json === null ? undefined : (JSON.parse(json) as ResponseRecord);
  }

  async delete(responseId: string): Promise<void> {
    await this.redis.del(this.key(responseId));
  }
}
