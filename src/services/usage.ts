/** Token usage of a tenant's runs (`GET /usage`), from the runs table every surface writes. */
import type { Store, UsageRange, UsageReport } from '../store/index.js';

export type { UsageRange, UsageReport, UsageTotals } from '../store/index.js';

/** Reads usage; failed and cancelled runs count too (they used tokens). */
export class UsageService {
  constructor(private readonly store: Store) {}

  /** The owner's totals, by provider and model, and by UTC day, of runs created within `range`. */
  report(ownerId: string, range: UsageRange = {}): Promise<UsageReport> {
    return this.store.runs.usage(ownerId, range);
  }
}
