/**
 * What the main thread and the SQLite checkpoint worker share: the worker's
 * start data and the layout of the counters it publishes.
 */

/** `workerData` of the checkpoint worker. */
export interface CheckpointWorkerData {
  /** Path of the SQLite database file (the WAL is `${file}-wal`). */
  file: string;
  /** Milliseconds between two looks at the WAL. */
  intervalMs: number;
  /** The worker connection's `busy_timeout`, in ms, the same as the main connection's. */
  busyTimeoutMs: number;
  /** A `SharedArrayBuffer` of {@link COUNTER_SLOTS} BigInt64 slots, written by the worker with `Atomics`. */
  counters: SharedArrayBuffer;
}

/** Slot of the count of checkpoints the worker ran. */
export const CHECKPOINTS = 0;
/** Slot of the WAL file's size in bytes at the worker's last look. */
export const WAL_BYTES = 1;
/** Slots in the shared counters buffer. */
export const COUNTER_SLOTS = 2;
