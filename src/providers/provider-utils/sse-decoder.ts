/**
 * Server-sent events → `data` strings, per the WHATWG HTML "Server-sent events"
 * parsing rules (https://html.spec.whatwg.org/multipage/server-sent-events.html),
 * using the maintained `eventsource-parser` rather than hand-split lines.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as nextEventLoopTurn } from 'node:timers/promises';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import { ParleyError } from '../../errors.js';

/** Largest event (partial line plus buffered `data:` lines) accepted, in characters. */
export const MAX_EVENT_CHARACTERS = 8 * 1024 * 1024;

/**
 * Longest stretch of events handled without giving the event loop a turn, ms.
 * A flooding upstream has its next bytes buffered already, so without a pause
 * its whole answer would run as one chain of microtasks and stall every other
 * request of the process (health checks, other streams).
 */
const SLICE_MS = 5;
/** A wait for the next network chunk this long means the event loop had turns meanwhile, ms. */
const IDLE_WAIT_MS = 1;

const NO_EVENTS: readonly string[] = [];
const LF = 0x0a;
const CR = 0x0d;

/**
 * Decodes an SSE byte stream into the `data` of each event, synchronously, one
 * network chunk at a time (the transport's loop calls it, so the per-chunk
 * path has no async generator of its own).
 *
 * - Bytes are decoded as UTF-8 with a streaming `TextDecoder`, so a multi-byte
 *   character split across network chunks arrives whole.
 * - LF, CRLF and CR line endings; multi-line `data:` joined with `\n`; comments
 *   (`: keep-alive`, OpenRouter's `: OPENROUTER PROCESSING`), `event:`, `id:` and
 *   `retry:` are handled by the parser and not returned.
 * - Sentinels such as `[DONE]` are returned like any other data; the caller decides.
 * - At the end of the body ({@link end}), an event whose last line is complete
 *   but whose blank line never came is still returned (servers that close right
 *   after the last line lose nothing); a line cut off mid-way is discarded as
 *   the spec says.
 */
export class SseDataDecoder {
  private readonly decoder = new TextDecoder('utf-8');
  /** Events completed by the current `push`; reused, so a chunk allocates no array. */
  private readonly pending: string[] = [];
  private readonly parser: EventSourceParser;
  private oversized = false;
  /** Whether the text fed last ended with a line break (see {@link end}); a flag, so a stream holds no copy of its last chunk. */
  private lineEnded = false;

  constructor() {
    this.parser = createParser({
      onEvent: (event) => {
        this.pending.push(event.data);
      },
      onError: (error) => {
        if (error.type === 'max-buffer-size-exceeded') this.oversized = true;
      },
      maxBufferSize: MAX_EVENT_CHARACTERS,
    });
  }

  /**
   * Feeds one network chunk; returns the `data` of the events it completed, in
   * order. The array is reused: it is valid until the next call.
   * @throws ParleyError `upstream_bad_response` when one event exceeds {@link MAX_EVENT_CHARACTERS}.
   */
  push(chunk: Uint8Array): readonly string[] {
    this.pending.length = 0;
    this.feed(this.decoder.decode(chunk, { stream: true }));
    return this.pending.length === 0 ? NO_EVENTS : this.pending;
  }

  /** Ends the body: the events still buffered (see the class comment); valid until the next call. */
  end(): readonly string[] {
    this.pending.length = 0;
    this.feed(this.decoder.decode());
    if (this.lineEnded) this.parser.feed('\n\n');
    return this.pending;
  }

  private feed(text: string): void {
    if (text === '') return;
    const last = text.charCodeAt(text.length - 1);
    this.lineEnded = last === LF || last === CR;
    this.parser.feed(text);
    if (this.oversized) {
      throw new ParleyError('upstream_bad_response', `An upstream event exceeded ${MAX_EVENT_CHARACTERS} characters.`);
    }
  }
}

/**
 * Fairness of a loop over a flooding stream: after {@link SLICE_MS} of events
 * handled back to back it asks for one event-loop turn, so one upstream that
 * has its whole answer buffered cannot stall every other request of the
 * process. A wait of {@link IDLE_WAIT_MS} or more for the network starts a new slice.
 */
export class EventLoopSlice {
  private sliceStart = performance.now();
  private waitStart = this.sliceStart;

  /** A network chunk arrived. */
  arrived(): void {
    const now = performance.now();
    if (now - this.waitStart >= IDLE_WAIT_MS) this.sliceStart = now;
  }

  /** Whether the slice is used up: the caller then awaits {@link turn}. */
  get spent(): boolean {
    return performance.now() - this.sliceStart >= SLICE_MS;
  }

  /** Gives the event loop a turn and starts a new slice. */
  async turn(): Promise<void> {
    await nextEventLoopTurn();
    this.sliceStart = performance.now();
  }

  /** The loop goes back to waiting for the network. */
  waiting(): void {
    this.waitStart = performance.now();
  }
}
