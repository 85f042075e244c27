/**
 * The one SSE writer every surface uses (WHATWG HTML "Server-sent events"):
 * frames multi-line data as one `data:` line per line, sets `id:` for
 * `Last-Event-ID` resume, sends keep-alive comments, and waits for `drain`
 * when the socket buffer is full so a slow client cannot grow memory unbounded.
 */
import type { ServerResponse } from 'node:http';

/** One SSE message. `data` may contain any newlines (LF, CRLF, CR). */
export interface SseMessage {
  event?: string;
  id?: string;
  data: string;
}

/** Writer options. */
export interface SseWriterOptions {
  /** Interval of `: keep-alive` comments, ms; keeps proxies from timing out idle streams. */
  keepAliveMs?: number;
  /** Reconnection delay advertised to EventSource clients (`retry:`), ms. */
  retryMs?: number;
  /** Extra response headers (CORS, request id …) already decided by the framework. */
  headers?: Record<string, string | number | string[]>;
}

const LINE_BREAK = /\r\n|\r|\n/;
const SOME_LINE_BREAK = /[\r\n]/;

/**
 * What the framework layer wants to know about one response that becomes an
 * event stream (metrics, timing). Registered per response with
 * {@link watchSseResponse}, so the writer needs no reference to the app.
 */
export interface SseResponseWatcher {
  /** Extra headers, computed just before the stream's headers are written. */
  headers?(): Record<string, string>;
  /** The stream's headers were written. */
  opened?(): void;
  /** The stream ended or its client went away; called once, after `opened`. */
  closed?(): void;
}

const watchers = new WeakMap<ServerResponse, SseResponseWatcher>();

/** Registers `watcher` for `response`, used if an {@link SseWriter} is created on it. */
export function watchSseResponse(response: ServerResponse, watcher: SseResponseWatcher): void {
  watchers.set(response, watcher);
}

/** Serializes one message per the SSE wire format; `id` applies when the message has none of its own. */
export function frameSse(message: SseMessage, id?: string): string {
  let frame = '';
  if (message.event !== undefined) frame += `event: ${message.event}\n`;
  const eventId = message.id ?? id;
  if (eventId !== undefined) frame += `id: ${eventId}\n`;
  const { data } = message;
  // Most data is one line (JSON never holds a raw line break): no split, no array.
  if (!SOME_LINE_BREAK.test(data)) return `${frame}data: ${data}\n\n`;
  for (const line of data.split(LINE_BREAK)) frame += `data: ${line}\n`;
  return `${frame}\n`;
}

/** Writes an event stream to one HTTP response. */
export class SseWriter {
  private keepAlive: NodeJS.Timeout | undefined;
  private closedFlag = false;
  /** Corked until the next tick (see `write`). */
  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.response.uncork();
  };

  constructor(
    private readonly response: ServerResponse,
    options: SseWriterOptions = {},
  ) {
    const watcher = watchers.get(response);
    response.writeHead(200, {
      ...options.headers,
      ...watcher?.headers?.(),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      // nginx buffers proxied responses unless told not to.
      'x-accel-buffering': 'no',
    });
    // Headers are sent now (a client learns the stream is open before its first
    // event), but corked like a write: frames written in the same tick (a run
    // that already has output) leave with them in one syscall.
    this.corkUntilNextTick();
    response.flushHeaders();
    if (options.retryMs !== undefined) response.write(`retry: ${options.retryMs}\n\n`);
    response.once('close', () => this.stop());
    // A client that left before the stream began is not an open stream.
    if (watcher !== undefined && !response.destroyed) {
      watcher.opened?.();
      response.once('close', () => watcher.closed?.());
    }
    if (options.keepAliveMs !== undefined && options.keepAliveMs > 0) {
      this.keepAlive = setInterval(() => {
        if (!this.closed) response.write(': keep-alive\n\n');
      }, options.keepAliveMs);
      this.keepAlive.unref();
    }
  }

  /** Whether the client went away or the stream was ended. */
  get closed(): boolean {
    return this.closedFlag || this.response.destroyed || this.response.writableEnded;
  }

  /**
   * Sends one message; resolves once the socket accepted it (after `drain`
   * when its buffer was full). Returns false when the client is gone.
   */
  async send(message: SseMessage): Promise<boolean> {
    return this.write(frameSse(message));
  }

  /**
   * Sends raw pre-framed text (several messages at once): true at once when
   * the socket took it, a promise while its buffer is full (resolved after
   * `drain`), false when the client is gone. Synchronous when it can be, so
   * a token costs no promise.
   */
  write(frames: string): boolean | Promise<boolean> {
    if (this.closed) return false;
    this.corkUntilNextTick();
    if (this.response.write(frames)) return true;
    return new Promise((resolve) => {
      const done = (open: boolean) => {
        this.response.off('drain', onDrain);
        this.response.off('close', onClose);
        resolve(open);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      this.response.once('drain', onDrain);
      this.response.once('close', onClose);
    });
  }

  /**
   * Writes until the current chain of promise jobs ends go out as one writev:
   * a fast upstream's chunk yields many small batches back to back, and one
   * syscall each cost more than the rest of their path. process.nextTick runs
   * once the microtask queue is empty (Node's cork-then-uncork-on-next-tick idiom).
   */
  private corkUntilNextTick(): void {
    if (this.corked) return;
    this.corked = true;
    this.response.cork();
    process.nextTick(this.uncork);
  }

  /** Ends the stream. */
  end(): void {
    this.stop();
    if (!this.response.writableEnded) this.response.end();
  }

  private stop(): void {
    this.closedFlag = true;
    clearInterval(this.keepAlive);
  }
}
