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
import { eventBytes } from './event-bytes.js';
import { isTerminal, type RunEvent, type RunEventPayload, type TerminalPayload } from './events.js';

export { eventBytes } from './event-bytes.js';

/** How a reader reads (see {@link RunEventLog.read}). */
export interface ReadOptions {
  /**
   * This reader is the run's last one: nobody can resume the run (a stateless
   * `/v1` call). A log may then drop each batch once the reader moved past it,
   * drop the run once the reader finished, and hold the writer back while the
   * reader is behind (see {@link RunEventLog.room}). Readers opened on the same
   * run afterwards may miss events.
   */
  consume?: boolean;
}

/** Storage of run events. */
export interface RunEventLog {
  /**
   * Appends an event and returns it with its `seq` and `at`. Synchronous; the
   * event is visible to every reader once {@link flush} resolves. Returns
   * undefined when the run already has its terminal event (it was ended from
   * outside, e.g. by lease recovery): the writer must stop. When the log
   * cannot hold the event it ends the run itself and returns that terminal
   * event instead (a `run.failed`, e.g. `run_log_full`): the writer must stop
   * and store the run as that event says.
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
  read(runId: string, afterSeq: number, signal?: AbortSignal, options?: ReadOptions): AsyncIterable<readonly RunEvent[]>;
  /**
   * Optional backpressure for the writer: a promise while the run's consuming
   * reader (ReadOptions.consume) has more unread than the log lets it fall
   * behind, resolved once it caught up or left; undefined when the writer may
   * go on now. A writer awaits it before reading more of the upstream answer,
   * so a slow reader costs at most what it has not read of its own answer.
   */
  room?(runId: string): Promise<void> | undefined;
  /** Whether the run's events are still held. */
  has(runId: string): Promise<boolean>;
  /**
   * Drops an ended run's events once its readers (of this process) are done
   * with them, before its TTL: for runs nobody may resume afterwards (an
   * unstored, foreground Response). A run still running is left alone.
   */
  forget(runId: string): Promise<void>;
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
  /** Events held; the first has seq `base + 1` (a consuming reader drops what it read). */
  events: RunEvent[];
  base: number;
  /** Estimated bytes of `events` (see {@link eventBytes}). */
  bytes: number;
  ended: boolean;
  /** A consuming reader (ReadOptions.consume) is or was attached: nobody else reads this run. */
  consumed: boolean;
  /** Whether the consuming reader is still reading. */
  consuming: boolean;
  /** Set while the writer waits for the consuming reader to catch up (see `room`). */
  room?: { promise: Promise<void>; resolve: () => void };
  /** Set while a reader waits; resolved (and cleared) by the next append, waking all readers at once. */
  wake?: { promise: Promise<void>; resolve: () => void };
  /** Readers reading now. */
  readers: number;
  /** Dropped once ended and its last reader left ({@link RunEventLog.forget}). */
  forgotten: boolean;
  expiry?: NodeJS.Timeout;
}

function signalPair(): NonNullable<Entry['wake']> {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

const FLUSHED = Promise.resolve();
/** What a finished reader's `next` resolves with. */
const READ_DONE: Promise<IteratorResult<readonly RunEvent[], undefined>> = Promise.resolve({ value: undefined, done: true });

/** Limits of a {@link MemoryRunEventLog} beyond time and run count. */
export interface MemoryLogLimits {
  /** Most bytes (estimated, {@link eventBytes}) all runs' events may hold; default unbounded. */
  maxBytes?: number;
  /** How far a consuming reader may fall behind before the writer waits (`room`), bytes; default 1 MiB. */
  readAheadBytes?: number;
}

const DEFAULT_READ_AHEAD_BYTES = 1024 * 1024;

/** Why a run ended when its events no longer fit the log's byte budget. */
export const LOG_FULL_MESSAGE = 'The answer did not fit the run log (PARLEY_RUN_LOG_MAX_BYTES); retry later or raise the limit.';

/**
 * In-memory log, visible to this process only. A run's events are dropped
 * `ttlSeconds` after its terminal event, or earlier when more than
 * `maxEndedRuns` finished runs are held, or when the events of all runs would
 * exceed `limits.maxBytes` (finished runs go first, oldest first). Running runs
 * are never dropped: a run whose next event does not fit even then ends with
 * a `run.failed` event (`run_log_full`), which append returns so its writer stops. A run
 * read with ReadOptions.consume holds only what its reader has not read yet,
 * and is dropped once the reader finished and the run ended.
 */
export class MemoryRunEventLog implements RunEventLog {
  /** Insertion order is start order, which the eviction of ended runs relies on. */
  private readonly runs = new Map<string, Entry>();
  private endedRuns = 0;
  /** Estimated bytes of every held event. */
  private totalBytes = 0;
  private readonly maxBytes: number;
  private readonly readAheadBytes: number;

  /**
   * @param ttlSeconds how long a finished run stays readable.
   * @param maxEndedRuns most finished runs held.
   * @param now clock, ms since the epoch; tests replace it.
   */
  constructor(
    private readonly ttlSeconds: number,
    private readonly maxEndedRuns = 10_000,
    private readonly now: () => number = Date.now,
    limits: MemoryLogLimits = {},
  ) {
    this.maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
    this.readAheadBytes = limits.readAheadBytes ?? DEFAULT_READ_AHEAD_BYTES;
  }

  /** Estimated bytes of every event held now (see {@link eventBytes}). */
  get heldBytes(): number {
    return this.totalBytes;
  }

  append(runId: string, payload: RunEventPayload): RunEvent | undefined {
    let entry = this.runs.get(runId);
    if (entry === undefined) {
      entry = { events: [], base: 0, bytes: 0, ended: false, consumed: false, consuming: false, readers: 0, forgotten: false };
      this.runs.set(runId, entry);
    }
    if (entry.ended) return undefined;
    const terminal = isTerminal(payload);
    const bytes = eventBytes(payload);
    // A terminal event always fits: it is what tells readers the run failed.
    if (!terminal && !this.fits(bytes)) {
      const error = { code: 'run_log_full' as const, message: LOG_FULL_MESSAGE, retryable: true };
      return this.append(runId, { type: 'run.failed', message_id: null, error, usage: { prompt_tokens: 0, completion_tokens: 0, reasoning_tokens: 0, cached_tokens: 0 } });
    }
    // Position fields first, then the payload: V8 copies the payload on a fast path this way,
    // several times faster than spreading it first and adding fields to each payload's shape.
    const event: RunEvent = { seq: entry.base + entry.events.length + 1, at: this.now(), ...payload };
    if (entry.consumed && !entry.consuming) {
      // Its only reader left: nobody will read this event, so it is not held.
      entry.base += 1;
    } else {
      entry.events.push(event);
      entry.bytes += bytes;
      this.totalBytes += bytes;
    }
    if (terminal) this.ended(runId, entry);
    this.wakeReaders(entry);
    return event;
  }

  /** Wakes every reader waiting on the run. */
  private wakeReaders(entry: Entry): void {
    if (entry.wake === undefined) return;
    entry.wake.resolve();
    entry.wake = undefined;
  }

  room(runId: string): Promise<void> | undefined {
    const entry = this.runs.get(runId);
    if (entry === undefined || !entry.consuming || entry.bytes <= this.readAheadBytes) return undefined;
    entry.room ??= signalPair();
    return entry.room.promise;
  }

  /** Whether `bytes` more fit the budget, after dropping finished runs (oldest first) if needed. */
  private fits(bytes: number): boolean {
    if (this.totalBytes + bytes <= this.maxBytes) return true;
    for (const [runId, entry] of this.runs) {
      if (entry.ended) this.drop(runId);
      if (this.totalBytes + bytes <= this.maxBytes) return true;
    }
    return false;
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
    if (entry.consumed && !entry.consuming) {
      // Nobody can read it any more.
      this.runs.delete(runId);
      this.release(entry);
      return;
    }
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
    this.release(entry);
  }

  /** Forgets the entry's events and wakes its writer. */
  private release(entry: Entry): void {
    this.totalBytes -= entry.bytes;
    entry.bytes = 0;
    entry.base += entry.events.length;
    entry.events = [];
    this.wakeWriter(entry);
  }

  private wakeWriter(entry: Entry): void {
    if (entry.room === undefined) return;
    entry.room.resolve();
    entry.room = undefined;
  }

  /** Drops the events a consuming reader read (the first `count` held). */
  private consumed(entry: Entry, count: number): void {
    if (count <= 0) return;
    let bytes = 0;
    for (let index = 0; index < count; index += 1) bytes += eventBytes(entry.events[index]!);
    entry.events = count === entry.events.length ? [] : entry.events.slice(count);
    entry.base += count;
    entry.bytes -= bytes;
    this.totalBytes -= bytes;
    if (entry.bytes <= this.readAheadBytes) this.wakeWriter(entry);
  }

  private evictOldestEnded(): void {
    for (const [runId, entry] of this.runs) {
      if (this.endedRuns <= this.maxEndedRuns) return;
      if (entry.ended) this.drop(runId);
    }
  }

  /**
   * Written out rather than as an async generator: a batch then costs one
   * resolved promise instead of a generator's round of promise jobs (~1 µs a
   * batch, a few per stream). The same steps as that loop: hand over what is
   * held after the position, count it read on the next call, wait for the
   * next append; stop after the terminal event, an abort or `return()`.
   */
  read(runId: string, afterSeq: number, signal?: AbortSignal, options: ReadOptions = {}): AsyncIterableIterator<readonly RunEvent[]> {
    let entry: Entry | undefined;
    let state: 'new' | 'reading' | 'done' = 'new';
    let consume = false;
    let next = Math.max(0, afterSeq);
    /** The last event of the batch handed over, until the next call counts it read. */
    let handed: RunEvent | undefined;
    // Added on the first wait only: a reader that never waits (a finished run) pays no listener.
    // An abort wakes every reader of the run (the others find nothing new and wait again),
    // which spares each wait a Promise.race and its promises.
    let onAbort: (() => void) | undefined;
    const finish = (): Promise<IteratorResult<readonly RunEvent[], undefined>> => {
      if (state === 'reading' && entry !== undefined) {
        entry.readers -= 1;
        if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
        if (consume) {
          entry.consuming = false;
          if (entry.ended) this.drop(runId);
          else this.release(entry);
        } else if (entry.forgotten && entry.readers === 0) this.drop(runId);
      }
      state = 'done';
      return READ_DONE;
    };
    const step = (): Promise<IteratorResult<readonly RunEvent[], undefined>> => {
      if (state === 'done') return READ_DONE;
      if (state === 'new') {
        entry = this.runs.get(runId);
        if (entry === undefined) return finish();
        consume = options.consume === true && !entry.consumed;
        if (consume) {
          entry.consumed = true;
          entry.consuming = true;
        }
        entry.readers += 1;
        state = 'reading';
      } else if (handed !== undefined) {
        const last = handed;
        handed = undefined;
        if (consume) this.consumed(entry!, next - entry!.base);
        if (isTerminal(last)) return finish();
      }
      const current = entry!;
      if (signal?.aborted === true) return finish();
      const { events, base } = current;
      const held = base + events.length;
      if (next < held) {
        const batch = events.slice(Math.max(0, next - base));
        next = held;
        handed = batch[batch.length - 1];
        return Promise.resolve({ value: batch, done: false });
      }
      if (current.ended) return finish();
      if (signal !== undefined && onAbort === undefined) {
        onAbort = () => this.wakeReaders(current);
        signal.addEventListener('abort', onAbort, { once: true });
      }
      current.wake ??= signalPair();
      return current.wake.promise.then(step);
    };
    const iterator: AsyncIterableIterator<readonly RunEvent[]> = { next: step, return: finish, [Symbol.asyncIterator]: () => iterator };
    return iterator;
  }

  forget(runId: string): Promise<void> {
    const entry = this.runs.get(runId);
    if (entry !== undefined && entry.ended) {
      entry.forgotten = true;
      if (entry.readers === 0) this.drop(runId);
    }
    return FLUSHED;
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
    this.totalBytes = 0;
    return FLUSHED;
  }
}

/** Every event of the run after `afterSeq`, one by one (for readers that do not need batches). */
export async function* eventsOf(log: Pick<RunEventLog, 'read'>, runId: string, afterSeq = 0, signal?: AbortSignal): AsyncGenerator<RunEvent> {
  for await (const batch of log.read(runId, afterSeq, signal)) yield* batch;
}
