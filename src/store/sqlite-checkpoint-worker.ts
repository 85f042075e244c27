/**
 * The SQLite checkpoint worker (a `worker_threads` thread started by
 * sqlite-checkpoint.ts): it holds a connection of its own to the database file
 * and, every `intervalMs`, runs `PRAGMA wal_checkpoint(PASSIVE)` when the WAL
 * was written since its last checkpoint, so that copying WAL pages into the
 * database file never happens inside a commit on the main thread.
 * PASSIVE takes neither the writer lock nor waits for readers
 * (https://www.sqlite.org/c3ref/wal_checkpoint_v2.html), so the main
 * connection's writes are never blocked by it.
 *
 * Protocol: `workerData` is a {@link CheckpointWorkerData}; the worker posts
 * `'ready'` once its connection is open, and on the message `'stop'` closes its
 * connection and ends. Counters go through the shared buffer, not messages, so
 * the main thread pays nothing per checkpoint. Any error ends the worker with
 * an 'error' event, which the main thread answers by checkpointing itself again.
 */
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { CHECKPOINTS, WAL_BYTES, type CheckpointWorkerData } from './sqlite-checkpoint-protocol.js';

const { file, intervalMs, busyTimeoutMs, counters } = workerData as CheckpointWorkerData;
const figures = new BigInt64Array(counters);
const database = new SQLite(file, { fileMustExist: true });
database.pragma(`busy_timeout = ${busyTimeoutMs}`);

/** Size and modification time of the WAL when the last checkpoint started: unchanged means nothing to copy. */
let checkpointed = '';

/** One tick: checkpoint when the WAL changed since the last one; publish the WAL's size. */
function tick(): void {
  const wal = statSync(`${file}-wal`, { bigint: true, throwIfNoEntry: false });
  Atomics.store(figures, WAL_BYTES, wal?.size ?? 0n);
  const signature = wal === undefined ? '' : `${wal.size}:${wal.mtimeNs}`;
  // Stat before the checkpoint: a commit during it changes the signature, so the next tick copies it.
  if (signature === '' || signature === checkpointed) return;
  checkpointed = signature;
  database.pragma('wal_checkpoint(PASSIVE)');
  Atomics.add(figures, CHECKPOINTS, 1n);
}

const timer = setInterval(tick, intervalMs);
parentPort!.on('message', (message: unknown) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  database.close();
  // Nothing keeps the thread alive any more: it ends and the main thread sees 'exit'.
  parentPort!.close();
});
parentPort!.postMessage('ready');
