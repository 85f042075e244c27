/**
 * A response body read chunk by chunk without an async generator: the same
 * protocol as Node's `Readable` async iterator (a `readable` listener, `read()`,
 * and `finished` for the end or an error), but a buffered chunk is returned
 * at once and a wait costs one promise. The transport's loop is the only
 * consumer, so the per-chunk path of a stream has one await instead of an
 * iterator's yield round trip. The end is watched with `end`, `error` and
 * `close` listeners sharing one function rather than `stream.finished`, which
 * holds eight closures and as many listeners per body for the stream's whole
 * life (about 1 KB per open stream).
 */
import type { Readable } from 'node:stream';

/** `stream.finished`'s error for a body closed before its end, with the same code. */
function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

/** Reads one body; call {@link BodyChunks.release} when done, before handing the body to anything else. */
export class BodyChunks {
  /** undefined while the body may still send; null once it ended; the error when it failed. */
  private outcome: Error | null | undefined = undefined;
  private wake: (() => void) | undefined;
  private readonly onReadable = (): void => this.notify();
  /** Listener of `end`, `error` (with the error) and `close` (an end or a premature close). */
  private readonly onSettled = (error?: unknown): void => {
    if (this.outcome === undefined) this.outcome = error instanceof Error ? error : this.body.readableEnded ? null : (this.body.errored ?? prematureClose());
    this.notify();
  };

  constructor(private readonly body: Readable) {
    body.on('readable', this.onReadable);
    body.on('end', this.onSettled);
    body.on('error', this.onSettled);
    body.on('close', this.onSettled);
    // Already over: no event will tell.
    if (body.destroyed || body.readableEnded) this.onSettled(body.errored ?? undefined);
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
    this.body.off('end', this.onSettled);
    this.body.off('error', this.onSettled);
    this.body.off('close', this.onSettled);
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
