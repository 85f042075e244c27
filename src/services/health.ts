/** Health of the core's backends, for the health and readiness routes. */
import type { Redis } from 'ioredis';
import type { Store } from '../store/index.js';

/** Checks the backends a request depends on. */
export class HealthService {
  /**
   * @param store the database.
   * @param redis the shared Redis connection (REDIS_URL); undefined when this instance runs without one.
   */
  constructor(
    private readonly store: Pick<Store, 'ping'>,
    private readonly redis?: Pick<Redis, 'ping' | 'status'>,
  ) {}

  /** Whether the database answers a trivial query; never throws. */
  ping(): Promise<boolean> {
    return this.store.ping();
  }

  /** Whether Redis is configured: only then does readiness check it. */
  get usesRedis(): boolean {
    return this.redis !== undefined;
  }

  /**
   * Whether Redis answers PING; true when none is configured; never throws.
   * A connection that is away answers false at once instead of waiting in ioredis' offline queue.
   */
  async pingRedis(): Promise<boolean> {
    if (this.redis === undefined) return true;
    if (this.redis.status !== 'ready') return false;
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }
}
