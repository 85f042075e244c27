/**
 * Where `store: false` Responses live: not in the database (the client asked
 * not to store them) but readable, by id, for as long as their run's events
 * are (PARLEY_RUN_LOG_TTL_SECONDS after the run ended). In this process
 * embedded; in Redis with REDIS_URL, so any instance finds them.
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
 * This process's records. Ended ones are also dropped once the run log no
 * longer holds their run (it evicts the oldest first past
 * PARLEY_RUN_LOG_MAX_RUNS), oldest first like the log, so memory follows the
 * log's bound and not only its TTL.
 */
export class MemoryUnstoredResponses implements UnstoredResponses {
  private readonly records = new Map<string, ResponseRecord>();

  /**
   * @param ttlSeconds how long an ended record stays (PARLEY_RUN_LOG_TTL_SECONDS).
   * @param held whether the run log still holds a run's events.
   */
  constructor(
    private readonly ttlSeconds: number,
    private readonly held: (runId: string) => Promise<boolean>,
  ) {}

  async put(record: ResponseRecord): Promise<void> {
    for (const [id, kept] of this.records) {
      if (kept.output === null || (await this.held(kept.runId))) break;
      this.records.delete(id);
    }
    this.records.set(record.id, record);
  }

  finish(record: ResponseRecord): Promise<void> {
    const expiry = setTimeout(() => this.records.delete(record.id), this.ttlSeconds * 1000);
    expiry.unref();
    return Promise.resolve();
  }

  get(responseId: string): Promise<ResponseRecord | undefined> {
    return Promise.resolve(this.records.get(responseId));
  }

  delete(responseId: string): Promise<void> {
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
