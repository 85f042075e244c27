/**
 * Counts the event streams (SSE responses) this process has open, for the
 * open-streams gauge and so that shutdown can let streams send their last
 * event before connections are cut.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Open SSE responses of one app. */
export class StreamTracker {
  private open = 0;
  private readonly waiters = new Set<() => void>();

  /** @param onChange called with the new count after every change (the gauge). */
  constructor(private readonly onChange: (open: number) => void = () => {}) {}

  /** Number of open streams. */
  get count(): number {
    return this.open;
  }

  /** A stream's headers were written. */
  opened(): void {
    this.open += 1;
    this.onChange(this.open);
  }

  /** A stream ended or lost its client. */
  closed(): void {
    this.open = Math.max(0, this.open - 1);
    this.onChange(this.open);
    if (this.open === 0) for (const wake of this.waiters) wake();
  }

  /**
   * Resolves once no stream is open, or after `timeoutMs` (a slow reader must
   * not hold shutdown). Resolves with whether all streams ended.
   */
  async idle(timeoutMs: number): Promise<boolean> {
    if (this.open === 0) return true;
    const timer = new AbortController();
    let wake: () => void = () => {};
    const ended = new Promise<boolean>((resolve) => {
      wake = () => resolve(true);
      this.waiters.add(wake);
    });
    try {
      return await Promise.race([ended, sleep(timeoutMs, false, { signal: timer.signal })]);
    } finally {
      this.waiters.delete(wake);
      timer.abort();
    }
  }
}
