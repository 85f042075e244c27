/** Health of the core's backends, for the health and readiness routes. */
import type { Store } from '../store/index.js';

/** Checks the backends a request depends on. */
export class HealthService {
  constructor(private readonly store: Pick<Store, 'ping'>) {}

  /** Whether the database answers a trivial query; never throws. */
  ping(): Promise<boolean> {
    return this.store.ping();
  }
}
