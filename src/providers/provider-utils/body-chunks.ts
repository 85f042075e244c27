/**
 * A response body read chunk by chunk without an async generator: the same
 * protocol as Node's `Readable` async iterator (a `readable` listener, `read()`,
 * and `finished` for the end or an error), but a buffered chunk is returned
 * at once and a wait costs one promise. The transport's loop is the only
 * consumer, so the per-chunk path of a stream has one await instead of an
 * iterator's yield round trip.
 */
import type { Readable } from 'node:stream';
import { finished } from 'node:stream';

/** Reads one body; call {@link BodyChunks.release} when done, before handing the body to anything else. */
export class BodyChunks {
  /** undefined while the body may still send; null once it ended; the error when it failed. */
  private outcome: Error | null | undefined = undefined;
  private wake: (() => void) | undefined;
  private readonly stopWatching: () => void;
  private readonly onReadable = (): void => this.notify();

  constructor(private readonly body: Readable) {
    body.on('readable', this.onReadable);
    this.stopWatching = finished(body, { writable: false }, (error) => {
      this.outcome = error ?? null;
      this.notify();
    });
  }

  /**
   * The next chunk already buffered, or null when none is: then {@link ended}
   * tells whether more can come and {@link wait} waits for it.
   */
  read(): Uint8Array | null {
    return this.body.destroyed ? null : (this.body.read() as Uint8Array | null);
  }

  /**
   * Whether the body has ended (after {@link read} returned null).
   * @throws the body's error when it failed (a reset connection, an abort).
   */
  get ended(): boolean {
    if (this.outcome === undefined) return false;
    if (this.outcome === null) return true;
    throw this.outcome;
  }

  /** Resolves when a chunk arrived, the body ended or it failed. */
  wait(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  /** Stops listening: the body leaves paused mode, so it can be drained or destroyed. */
  release(): void {
    this.body.off('readable', this.onReadable);
    this.stopWatching();
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
