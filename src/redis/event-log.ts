/**
 * The run event log on Redis Streams, shared by every instance (REDIS_URL).
 *
 * One stream per run, `parley:run-log:<runId>`. The instance running a run
 * numbers its events itself (it is the only writer while the run streams),
 * keeps them in a {@link MemoryRunEventLog} for its own readers (so the hot
 * path never waits on Redis: time to first token is the embedded one), and
 * ships them in batches: appends are coalesced for {@link FLUSH_DELAY_MS}
 * and every batch of a run is one `XADD` entry (id `<last seq>-0`, field `e`
 * the events as a JSON array, `t` whether it holds the terminal event), all
 * runs' batches in one pipeline. A terminal event is shipped at once.
 *
 * Readers on other instances tail the stream with `XREAD BLOCK` on a
 * connection of their own. Writes go through Lua scripts that refuse to add
 * after a terminal entry, so `end` (lease recovery, from any instance) and
 * the writer cannot both end a run. Each stream expires `ttlSeconds` after
 * its last write, like the in-memory log's ended runs.
 */
import type { Redis, Result } from 'ioredis';
import { emptyUsage } from '../providers/types.js';
import { MemoryRunEventLog, type ReadOptions, type RunEventLog } from '../runs/event-log.js';
import { isTerminal, type RunEvent, type RunEventPayload, type TerminalPayload } from '../runs/events.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** Adds one batch unless the run already ended; 1 added, 0 refused. */
    parleyLogAppend(key: string, id: string, events: string, terminal: '0' | '1', ttlMs: number): Result<number, Context>;
    /** Adds a terminal event after the last one unless the run ended or is unknown; the event's JSON or null. */
    parleyLogEnd(key: string, payload: string, at: number, ttlMs: number): Result<string | null, Context>;
  }
}

/** How long appends are coalesced before they are shipped, ms. */
export const FLUSH_DELAY_MS = 3;
/** How long one blocking read waits before checking the stream still exists, ms. */
const BLOCK_MS = 5_000;
/** Idle blocking-read connections kept for the next remote reader. */
const IDLE_READERS = 8;

const APPEND_SCRIPT = `
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if last and last[2][4] == '1' then return 0 end
redis.call('XADD', KEYS[1], ARGV[1], 'e', ARGV[2], 't', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

const END_SCRIPT = `
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if (not last) or last[2][4] == '1' then return false end
local seq = tonumber(string.match(last[1], '^(%d+)')) + 1
local event = '{"seq":' .. seq .. ',"at":' .. ARGV[2] .. ',' .. string.sub(ARGV[1], 2)
redis.call('XADD', KEYS[1], seq .. '-0', 'e', '[' .. event .. ']', 't', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return event
`;

/** The stream of a run. */
export function runLogKey(runId: string): string {
  return `parley:run-log:${runId}`;
}

type StreamEntry = [id: string, fields: string[]];
type XReadReply = [key: string, entries: StreamEntry[]][] | null;

/** The events of stream entries with `seq > afterSeq`, in order. */
function eventsAfter(entries: readonly StreamEntry[], afterSeq: number): RunEvent[] {
  const events: RunEvent[] = [];
  for (const [, fields] of entries) {
    for (const event of JSON.parse(fields[1] ?? '[]') as RunEvent[]) if (event.seq > afterSeq) events.push(event);
  }
  return events;
}

/** Options of {@link RedisRunEventLog}. */
export interface RedisRunEventLogOptions {
  /** How long a run's stream lives after its last write, s (PARLEY_RUN_LOG_TTL_SECONDS). */
  ttlSeconds: number;
  /** Most finished runs the local copy keeps (PARLEY_RUN_LOG_MAX_RUNS). */
  maxEndedRuns: number;
  /** Most bytes the local copy's events may hold (PARLEY_RUN_LOG_MAX_BYTES); default unbounded. */
  maxBytes?: number;
  /** Reports a batch that could not be shipped (Redis away beyond the retries). Must not throw. */
  onError?: (error: unknown) => void;
}

/** {@link RunEventLog} over Redis Streams; see the module comment. */
export class RedisRunEventLog implements RunEventLog {
  /** Runs written by this instance, for its own readers. */
  private readonly local: MemoryRunEventLog;
  private pending = new Map<string, RunEvent[]>();
  private timer: NodeJS.Timeout | undefined;
  /** Settles once every batch shipped so far was answered. */
  private shipped: Promise<void> = Promise.resolve();
  private readonly idle: Redis[] = [];
  private readonly readers = new Set<Redis>();
  /** Runs that another instance ended while this one wrote them. */
  private readonly endedElsewhere = new Set<string>();

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisRunEventLogOptions,
  ) {
    this.local = new MemoryRunEventLog(options.ttlSeconds, options.maxEndedRuns, Date.now, { maxBytes: options.maxBytes });
    redis.defineCommand('parleyLogAppend', { numberOfKeys: 1, lua: APPEND_SCRIPT });
    redis.defineCommand('parleyLogEnd', { numberOfKeys: 1, lua: END_SCRIPT });
  }

  private get ttlMs(): number {
    return this.options.ttlSeconds * 1000;
  }

  append(runId: string, payload: RunEventPayload): RunEvent | undefined {
    if (this.endedElsewhere.has(runId)) return undefined;
    const event = this.local.append(runId, payload);
    if (event === undefined) return undefined;
    const batch = this.pending.get(runId);
    if (batch === undefined) this.pending.set(runId, [event]);
    else batch.push(event);
    // The event, not the payload: a full local copy turns the append into a run.failed.
    if (isTerminal(event)) this.ship();
    else this.timer ??= setTimeout(() => this.ship(), FLUSH_DELAY_MS);
    return event;
  }

  /** Sends every pending batch in one pipeline. */
  private ship(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const batches = this.pending;
    this.pending = new Map();
    const pipeline = this.redis.pipeline();
    const runIds: string[] = [];
    for (const [runId, events] of batches) {
      const last = events.at(-1)!;
      pipeline.parleyLogAppend(runLogKey(runId), `${last.seq}-0`, JSON.stringify(events), isTerminal(last) ? '1' : '0', this.ttlMs);
      runIds.push(runId);
    }
    const answered = pipeline.exec().then(
      (results) =>
        results?.forEach(([error, added], index) => {
          if (error !== null) this.options.onError?.(error);
          else if (added === 0) this.refused(runIds[index]!);
        }),
      (error: unknown) => this.options.onError?.(error),
    );
    this.shipped = Promise.all([this.shipped, answered]).then(() => undefined);
  }

  /** Another instance ended the run (lease recovery): the writer must stop, local readers end too. */
  private refused(runId: string): void {
    this.endedElsewhere.add(runId);
    void this.local.end(runId, { type: 'run.cancelled', message_id: null, usage: emptyUsage() });
    setTimeout(() => this.endedElsewhere.delete(runId), this.ttlMs).unref();
  }

  /** Bytes of event payloads the local copy holds now (see MemoryRunEventLog.heldBytes). */
  get heldBytes(): number {
    return this.local.heldBytes;
  }

  /** The local copy's room for a consuming reader that is behind (RunEventLog.room). */
  room(runId: string): Promise<void> | undefined {
    return this.local.room(runId);
  }

  flush(runId: string): Promise<void> {
    if (this.pending.has(runId)) this.ship();
    return this.shipped;
  }

  async end(runId: string, payload: TerminalPayload): Promise<RunEvent | undefined> {
    await this.flush(runId);
    const json = await this.redis.parleyLogEnd(runLogKey(runId), JSON.stringify(payload), Date.now(), this.ttlMs);
    // The local copy (if this instance wrote the run) ends too, so its readers stop.
    const local = await this.local.end(runId, payload);
    if (json === null) return local;
    return JSON.parse(json) as RunEvent;
  }

  /**
   * A run this instance writes is read from its local copy, with `options`
   * (a consuming reader drops what it read there and holds the writer back
   * through {@link room}); Redis keeps its own copy for other instances until the TTL.
   */
  async *read(runId: string, afterSeq: number, signal?: AbortSignal, options?: ReadOptions): AsyncGenerator<readonly RunEvent[]> {
    if (await this.local.has(runId)) {
      yield* this.local.read(runId, afterSeq, signal, options);
      return;
    }
    const key = runLogKey(runId);
    let after = Math.max(0, afterSeq);
    let cursor = `${after}-0`;
    let blocking: Redis | undefined;
    const abort = () => blocking?.disconnect();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      while (signal?.aborted !== true) {
        const reply: XReadReply =
          blocking === undefined
            ? await this.redis.xread('COUNT', 1000, 'STREAMS', key, cursor)
            : await blocking.xread('COUNT', 1000, 'BLOCK', BLOCK_MS, 'STREAMS', key, cursor);
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) {
          // Unknown, expired, or nothing new yet: only a live stream is waited on.
          if ((await this.redis.exists(key)) === 0) return;
          blocking ??= this.acquireReader();
          continue;
        }
        cursor = entries.at(-1)![0];
        const events = eventsAfter(entries, after);
        if (events.length === 0) continue;
        after = events.at(-1)!.seq;
        yield events;
        if (isTerminal(events.at(-1)!)) return;
      }
    } catch (error) {
      // Disconnecting the blocked connection is how an abort interrupts it.
      if (signal?.aborted !== true) throw error;
    } finally {
      signal?.removeEventListener('abort', abort);
      if (blocking !== undefined) this.releaseReader(blocking, signal?.aborted === true);
    }
  }

  private acquireReader(): Redis {
    const reader = this.idle.pop() ?? this.redis.duplicate();
    reader.on('error', () => undefined);
    this.readers.add(reader);
    return reader;
  }

  private releaseReader(reader: Redis, broken: boolean): void {
    this.readers.delete(reader);
    reader.removeAllListeners('error');
    if (!broken && reader.status === 'ready' && this.idle.length < IDLE_READERS) this.idle.push(reader);
    else reader.disconnect();
  }

  async has(runId: string): Promise<boolean> {
    return (await this.local.has(runId)) || (await this.redis.exists(runLogKey(runId))) === 1;
  }

  async forget(runId: string): Promise<void> {
    await this.flush(runId);
    // Only an ended run: the script of a later append would otherwise recreate the stream.
    const last = (await this.redis.xrevrange(runLogKey(runId), '+', '-', 'COUNT', 1)) as StreamEntry[];
    // Field `t` of a batch is '1' when it holds the terminal event (APPEND_SCRIPT).
    const ended = last[0]?.[1][3] === '1';
    await this.local.forget(runId);
    if (ended) await this.redis.del(runLogKey(runId));
  }

  async snapshot(runId: string): Promise<readonly RunEvent[] | undefined> {
    const local = await this.local.snapshot(runId);
    if (local !== undefined) return local;
    const entries = (await this.redis.xrange(runLogKey(runId), '-', '+')) as StreamEntry[];
    return entries.length === 0 ? undefined : eventsAfter(entries, 0);
  }

  async close(): Promise<void> {
    this.ship();
    await this.shipped;
    for (const reader of [...this.idle, ...this.readers]) reader.disconnect();
    this.idle.length = 0;
    this.readers.clear();
    await this.local.close();
  }
}
