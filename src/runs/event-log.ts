/**
 * The run event log: append-only, seq-numbered events per run. Readers tail it
 * from any seq, which makes SSE `Last-Event-ID` resume, WebSocket reconnect and
 * polling one operation. This is the embedded, in-memory implementation;
 * {@link RunEventLog} is the seam a Redis Streams log plugs into.
 */
import { isTerminal, type RunEvent, type RunEventPayload } from './events.js';

/** Storage of run events. */
export interface RunEventLog {
  /** Appends an event; returns its seq. Appending after the terminal event is a bug and throws. */
  append(runId: string, payload: RunEventPayload): number;
  /**
   * Yields the run's events with `seq > afterSeq`, waiting for new ones, until
   * the terminal event (inclusive) or until `signal` aborts. Yields nothing for
   * an unknown or expired run.
   */
  read(runId: string, afterSeq: number, signal?: AbortSignal): AsyncGenerator<RunEvent>;
  /** Whether the run's events are still held. */
  has(runId: string): boolean;
  /** Events logged so far (a snapshot), or undefined for an unknown run. */
  snapshot(runId: string): readonly RunEvent[] | undefined;
  /** Stops expiry timers. */
  close(): void;
}

interface Entry {
  events: RunEvent[];
  ended: boolean;
  /** Set while a reader waits; resolved (and cleared) by the next append, waking all readers at once. */
  wake?: { promise: Promise<void>; resolve: () => void };
  expiry?: NodeJS.Timeout;
}

function signalPair(): NonNullable<Entry['wake']> {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/**
 * In-memory log. A run's events are dropped `ttlSeconds` after its terminal
 * event, or earlier when more than `maxEndedRuns` finished runs are held
 * (oldest first), so memory stays bounded under load. Running runs are never
 * dropped.
 */
export class MemoryRunEventLog implements RunEventLog {
  /** Insertion order is start order, which the eviction of ended runs relies on. */
  private readonly runs = new Map<string, Entry>();
  private endedRuns = 0;

  constructor(
    private readonly ttlSeconds: number,
    private readonly maxEndedRuns = 10_000,
  ) {}

  append(runId: string, payload: RunEventPayload): number {
    let entry = this.runs.get(runId);
    if (entry === undefined) {
      entry = { events: [], ended: false };
      this.runs.set(runId, entry);
    }
    if (entry.ended) throw new Error(`run ${runId} already ended; cannot append ${payload.type}`);
    const event = { ...payload, seq: entry.events.length + 1 };
    entry.events.push(event);
    if (isTerminal(payload)) {
      entry.ended = true;
      entry.expiry = setTimeout(() => this.drop(runId), this.ttlSeconds * 1000);
      entry.expiry.unref();
      this.endedRuns += 1;
      if (this.endedRuns > this.maxEndedRuns) this.evictOldestEnded();
    }
    if (entry.wake !== undefined) {
      entry.wake.resolve();
      entry.wake = undefined;
    }
    return event.seq;
  }

  private drop(runId: string): void {
    const entry = this.runs.get(runId);
    if (entry === undefined) return;
    clearTimeout(entry.expiry);
    if (entry.ended) this.endedRuns -= 1;
    this.runs.delete(runId);
  }

  private evictOldestEnded(): void {
    for (const [runId, entry] of this.runs) {
      if (this.endedRuns <= this.maxEndedRuns) return;
      if (entry.ended) this.drop(runId);
    }
  }

  async *read(runId: string, afterSeq: number, signal?: AbortSignal): AsyncGenerator<RunEvent> {
    const entry = this.runs.get(runId);
    if (entry === undefined) return;
    let next = Math.max(0, afterSeq);
    const aborted = new Promise<void>((resolve) => {
      if (signal?.aborted) resolve();
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    while (signal?.aborted !== true) {
      while (next < entry.events.length) {
        const event = entry.events[next]!;
        next += 1;
        yield event;
        if (isTerminal(event)) return;
      }
      if (entry.ended) return;
      entry.wake ??= signalPair();
      await Promise.race([entry.wake.promise, aborted]);
    }
  }

  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  snapshot(runId: string): readonly RunEvent[] | undefined {
    return this.runs.get(runId)?.events.slice();
  }

  close(): void {
    for (const entry of this.runs.values()) clearTimeout(entry.expiry);
    this.runs.clear();
    this.endedRuns = 0;
  }
}
