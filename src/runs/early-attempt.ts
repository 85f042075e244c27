/**
 * A run's first upstream call, sent while its row is still being written:
 * the provider's first step (which sends the request) runs at once, so the
 * upstream's time to first byte overlaps the store's write instead of
 * following it. Nothing of the answer is used before the run starts: its
 * parts wait, buffered by the transport, until the run's first attempt reads
 * them through {@link EarlyAttempt.take}.
 */
import type { StreamPart } from '../providers/types.js';

/** One provider stream whose first step is already under way; read it once, or cancel it. */
export class EarlyAttempt {
  private readonly iterator: AsyncIterator<StreamPart>;
  private first: Promise<IteratorResult<StreamPart>> | undefined;

  /** Starts `parts` now (its first `next()`); aborting the signal it was made with aborts the request. */
  constructor(parts: AsyncIterable<StreamPart>) {
    this.iterator = parts[Symbol.asyncIterator]();
    const first = this.iterator.next();
    // A cancelled attempt is never awaited: its rejection must not go unhandled.
    first.catch(() => undefined);
    this.first = first;
  }

  /**
   * The parts from the first one, as an iterable for one `for await`; leaving
   * it early ends the provider stream as leaving the stream itself would.
   * @throws Error when taken twice (a second read would miss the first part).
   */
  take(): AsyncIterable<StreamPart> {
    const first = this.first;
    if (first === undefined) throw new Error('an early attempt is read once');
    this.first = undefined;
    const { iterator } = this;
    let pending: Promise<IteratorResult<StreamPart>> | undefined = first;
    const parts: AsyncIterator<StreamPart> = {
      next: () => {
        const next = pending ?? iterator.next();
        pending = undefined;
        return next;
      },
      return: (value?: unknown) => iterator.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
    };
    return { [Symbol.asyncIterator]: () => parts };
  }

  /**
   * Ends an attempt nobody will read (its run did not start): the provider
   * stream is closed once its first step settles. Abort its signal first,
   * so that step ends at once and the request is not left running.
   */
  cancel(): void {
    const first = this.first;
    if (first === undefined) return;
    this.first = undefined;
    const close = () => void this.iterator.return?.(undefined)?.catch(() => undefined);
    first.then(close, close);
  }
}
