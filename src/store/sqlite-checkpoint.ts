/**
 * WAL checkpoints off the main thread. SQLite's automatic checkpoint runs
 * inside the COMMIT of whichever write crosses 1000 WAL pages, on Parley's
 * only JS thread, and stalls every request while it copies pages into the
 * database file (a stored turn's time-to-first-token p99 went 7.6 → 5.4 ms at
 * concurrency 1 and 58.6 → 38.1 ms at 32 without it). Here a worker thread
 * with its own connection checkpoints instead (sqlite-checkpoint-worker.ts),
 * and the main connection's automatic checkpoint is raised to a backstop
 * while the worker runs.
 *
 * If the worker cannot start or dies, one warning is emitted and the main
 * connection checkpoints automatically again, so the WAL never grows unbounded.
 */
import { once } from 'node:events';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';
import { CHECKPOINTS, COUNTER_SLOTS, WAL_BYTES, type CheckpointWorkerData } from './sqlite-checkpoint-protocol.js';

/** SQLite's default `wal_autocheckpoint` (pages), restored when the worker is gone. */
export const AUTOCHECKPOINT_PAGES = 1000;

/**
 * The main connection's `wal_autocheckpoint` (pages) while the worker runs.
 * Not 0: a PASSIVE checkpoint never waits for the writer, so under writes that
 * never pause, every commit lands during the worker's checkpoint, the WAL is
 * never fully copied and SQLite never restarts it: 32 clients of stored turns
 * grew it to 10 MB where a quiet moment had kept it at 2.5 MB. Past this
 * backstop the main connection checkpoints after a commit, as SQLite does by
 * default, but only copies what the worker has not (at most a tick's writes),
 * and the next write restarts the WAL.
 */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 2000;

/**
 * Milliseconds between the worker's looks at the WAL. At Parley's heaviest
 * write rate (group-committed turns at concurrency 32) a quarter second of
 * commits is well under the 1000 pages SQLite would checkpoint at, and an idle
 * database costs one stat() of the WAL per tick on the worker thread.
 */
export const CHECKPOINT_INTERVAL_MS = 250;

/**
 * How long closing waits for the worker to close its connection before
 * terminating it (ms). A PASSIVE checkpoint in progress finishes first.
 */
const STOP_TIMEOUT_MS = 2_000;

/** The worker's script: its compiled `.js` next to this file, or the `.ts` source when run from src through tsx. */
const WORKER_SCRIPT = new URL(import.meta.url.endsWith('.ts') ? './sqlite-checkpoint-worker.ts' : './sqlite-checkpoint-worker.js', import.meta.url);

/**
 * Starts `script` as a worker. A `.ts` script (Parley run from src through
 * tsx, as the tests do) gets tsx registered first: Node 20 does not pass a
 * worker's entry through the loader hooks of its parent.
 */
function startWorker(script: URL, options: WorkerOptions): Worker {
  if (!script.pathname.endsWith('.ts')) return new Worker(script, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(script.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/** Test seam: the script the next checkpointers start (undefined: the real worker). */
let scriptOverride: URL | undefined;

/**
 * Makes checkpointers started from now on run `script` as their worker
 * instead of sqlite-checkpoint-worker (undefined restores it). For tests that
 * prove the fallback when the worker cannot start or dies.
 */
export function useCheckpointWorkerScript(script: URL | undefined): void {
  scriptOverride = script;
}

/** What the checkpoint worker has done, for tests and metrics. */
export interface SqliteCheckpointStats {
  /** Checkpoints the worker ran (PASSIVE, each one after the WAL was written). */
  checkpoints: number;
  /** Size in bytes of the `-wal` file at the worker's last look (every {@link CHECKPOINT_INTERVAL_MS}). */
  walBytes: number;
  /** Whether the worker checkpoints now (false before it is ready, after a failure and once stopped). */
  running: boolean;
}

/** Options of {@link SqliteCheckpointer}. */
export interface SqliteCheckpointerOptions {
  /** The main connection's `busy_timeout` in ms, given to the worker's connection too. */
  busyTimeoutMs: number;
  /** Told once when the worker cannot start or dies; default `process.emitWarning`. */
  onWarning?: (message: string) => void;
}

/** Runs the checkpoint worker of one SQLite connection and falls back to automatic checkpoints without it. */
export class SqliteCheckpointer {
  private worker: Worker | undefined;
  private ready = false;
  private stopping = false;
  private failed = false;
  private readonly counters = new SharedArrayBuffer(COUNTER_SLOTS * BigInt64Array.BYTES_PER_ELEMENT);
  private readonly figures = new BigInt64Array(this.counters);
  private readonly onWarning: (message: string) => void;

  /** `connection` is the main connection to `file`; nothing starts before {@link start}. */
  constructor(
    private readonly connection: SQLite.Database,
    private readonly file: string,
    private readonly options: SqliteCheckpointerOptions,
  ) {
    this.onWarning = options.onWarning ?? ((message) => process.emitWarning(message, { code: 'PARLEY_SQLITE_CHECKPOINT' }));
  }

  /**
   * Starts the worker; once it reports ready, the main connection's
   * automatic checkpoint is raised to {@link BACKSTOP_AUTOCHECKPOINT_PAGES}. Never throws: a worker that cannot
   * start is reported through `onWarning` and automatic checkpoints stay on.
   */
  start(): void {
    const workerData: CheckpointWorkerData = { file: this.file, intervalMs: CHECKPOINT_INTERVAL_MS, busyTimeoutMs: this.options.busyTimeoutMs, counters: this.counters };
    let worker: Worker;
    try {
      worker = startWorker(scriptOverride ?? WORKER_SCRIPT, { workerData });
    } catch (error) {
      this.fail(error);
      return;
    }
    // A checkpoint worker is no reason for the process to stay alive.
    worker.unref();
    this.worker = worker;
    worker.on('message', (message: unknown) => {
      if (message !== 'ready' || this.stopping || this.failed || !this.connection.open) return;
      this.connection.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
      this.ready = true;
    });
    // Listening to 'error' keeps a worker's exception from reaching the main thread.
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      this.worker = undefined;
      this.ready = false;
      if (!this.stopping) this.fail(new Error(`it exited with code ${code}`));
    });
  }

  /** The worker's counters (see {@link SqliteCheckpointStats}). */
  get stats(): SqliteCheckpointStats {
    return {
      checkpoints: Number(Atomics.load(this.figures, CHECKPOINTS)),
      walBytes: Number(Atomics.load(this.figures, WAL_BYTES)),
      running: this.ready,
    };
  }

  /**
   * Stops the worker and waits until its connection is closed (terminating
   * it after {@link STOP_TIMEOUT_MS}, or at once if it is not ready yet). Call before the final checkpoint and
   * close of the main connection. Never throws.
   */
  async stop(): Promise<void> {
    const { worker, ready } = this;
    this.stopping = true;
    this.ready = false;
    if (worker === undefined) return;
    // Referenced again, or a process with nothing else to do would end before the worker closed its connection.
    worker.ref();
    const exited = once(worker, 'exit').catch(() => undefined);
    if (ready) {
      const deadline = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
      deadline.unref();
      worker.postMessage('stop');
      await exited;
      clearTimeout(deadline);
      return;
    }
    // Still starting (a short-lived store, e.g. `parley keys`): no checkpoint to let finish. Ending
    // the thread closes a connection it may have opened (better-sqlite3 closes them at thread exit).
    await worker.terminate();
    await exited;
  }

  /** The worker is gone: checkpoint on the main connection again and say so, once. */
  private fail(error: unknown): void {
    if (this.failed || this.stopping) return;
    this.failed = true;
    this.ready = false;
    if (this.connection.open) this.connection.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    void this.worker?.terminate();
    const reason = error instanceof Error ? error.message : String(error);
    this.onWarning(`SQLite checkpoint worker stopped (${reason}); checkpointing on the main thread again`);
  }
}
