/**
 * The run event log: append-only, seq-numbered, timestamped events per run.
 * Readers tail it from any seq, which makes SSE `Last-Event-ID` resume,
 * WebSocket reconnect and polling one operation. {@link RunEventLog} is the
 * seam a Redis Streams log plugs into; {@link MemoryRunEventLog} is the
 * embedded default.
 *
 * The hot path is one `append` per token. It is synchronous for the writer
 * (the instance running the run is the only one that appends while it runs,
 * so it numbers the events itself); a networked log buffers appends and ships
 * them in batches, and `flush` resolves once they are visible everywhere.
 * Readers receive batches: every event that arrived while they were waiting,
 * at once, so a slow reader costs one wake-up per batch rather than per token.
 */
import { isTerminal, type RunEvent, type RunEventPayload, type TerminalPayload } from './events.js';

/** Storage of run events. */
export interface RunEventLog {
  /**
   * Appends an event and returns it with its `seq` and `at`. Synchronous; the
   * event is visible to every reader once {@link flush} resolves. Returns
   * undefined when the run already has its terminal event (it was ended from
   * outside, e.g. by lease recovery): the writer must stop.
   */
  append(runId: string, payload: RunEventPayload): RunEvent | undefined;
  /** Resolves once the run's appended events are visible to every reader. */
  flush(runId: string): Promise<void>;
  /**
   * Yields the run's events with `seq > afterSeq` in batches (each non-empty,
   * in seq order), waiting for new ones, until the batch holding the terminal
   * event (inclusive) or until `signal` aborts. Yields nothing for an unknown
   * or expired run.
   */
  read(runId: string, afterSeq: number, signal?: AbortSignal): AsyncIterable<readonly RunEvent[]>;
  /** Whether the run's events are still held. */
  has(runId: string): Promise<boolean>;
  /** Events logged so far (a copy), or undefined for an unknown or expired run. */
  snapshot(runId: string): Promise<readonly RunEvent[] | undefined>;
  /**
   * Appends a terminal event on behalf of a run whose own instance cannot
   * (it died: lease recovery), unless the run already ended or is not held.
   * Safe to call from any instance. Returns the event appended, if any.
   */
  end(runId: string, payload: TerminalPayload): Promise<RunEvent | undefined>;
  /** Stops expiry timers and drops every run. */
  close(): Promise<void>;
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

const FLUSHED = Promise.resolve();

/**
 * In-memory log, visible to this process only. A run's events are dropped
 * `ttlSeconds` after its terminal event, or earlier when more than
 * `maxEndedRuns` finished runs are held (oldest first), so memory stays
 * bounded under load. Running runs are never dropped.
 */
export class MemoryRunEventLog implements RunEventLog {
  /** Insertion order is start order, which the eviction of ended runs relies on. */
  private readonly runs = new Map<string, Entry>();
  private endedRuns = 0;

  /**
   * @param ttlSeconds how long a finished run stays readable.
   * @param maxEndedRuns most finished runs held.
   * @param now clock, ms since the epoch; tests replace it.
   */
  constructor(
    private readonly ttlSeconds: number,
    private readonly maxEndedRuns = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  append(runId: string, payload: RunEventPayload): RunEvent | undefined {
    let entry = this.runs.get(runId);
    if (entry === undefined) {
      entry = { events: [], ended: false };
      this.runs.set(runId, entry);
    }
    if (entry.ended) return undefined;
    // Position fields first, then the payload: V8 copies the payload on a fast path this way,
    // several times faster than spreading it first and adding fields to each payload's shape.
    const event: RunEvent = { seq: entry.events.length + 1, at: this.now(), ...payload };
    entry.events.push(event);
    if (isTerminal(payload)) this.ended(runId, entry);
    if (entry.wake !== undefined) {
      entry.wake.resolve();
      entry.wake = undefined;
    }
    return event;
  }

  flush(): Promise<void> {
    // Appends are visible to every reader of this process at once.
    return FLUSHED;
  }

  end(runId: string, payload: TerminalPayload): Promise<RunEvent | undefined> {
    const entry = this.runs.get(runId);
    return Promise.resolve(entry === undefined || entry.ended ? undefined : this.append(runId, payload));
  }

  private ended(runId: string, entry: Entry): void {
    entry.ended = true;
    entry.expiry = setTimeout(() => this.drop(runId), this.ttlSeconds * 1000);
    entry.expiry.unref();
    this.endedRuns += 1;
    if (this.endedRuns > this.maxEndedRuns) this.evictOldestEnded();
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

  async *read(runId: string, afterSeq: number, signal?: AbortSignal): AsyncGenerator<readonly RunEvent[]> {
    const entry = this.runs.get(runId);
    if (entry === undefined) return;
    let next = Math.max(0, afterSeq);
    const aborted = new Promise<void>((resolve) => {
      if (signal?.aborted) resolve();
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    while (signal?.aborted !== true) {
      const { events } = entry;
      if (next < events.length) {
        const batch = events.slice(next);
        next = events.length;
        yield batch;
        if (isTerminal(batch.at(-1)!)) return;
        continue;
      }
      if (entry.ended) return;
      entry.wake ??= signalPair();
      await Promise.race([entry.wake.promise, aborted]);
    }
  }

  has(runId: string): Promise<boolean> {
    return Promise.resolve(this.runs.has(runId));
  }

  snapshot(runId: string): Promise<readonly RunEvent[] | undefined> {
    return Promise.resolve(this.runs.get(runId)?.events.slice());
  }

  close(): Promise<void> {
    for (const entry of this.runs.values()) clearTimeout(entry.expiry);
    this.runs.clear();
    this.endedRuns = 0;
    return FLUSHED;
  }
}

/** Every event of the run after `afterSeq`, one by one (for readers that do not need batches). */
export async function* eventsOf(log: Pick<RunEventLog, 'read'>, runId: string, afterSeq = 0, signal?: AbortSignal): AsyncGenerator<RunEvent> {
  for await (const batch of log.read(runId, afterSeq, signal)) yield* batch;
}
