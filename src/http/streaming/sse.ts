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
  /**
   * Extra response headers (CORS, request id …) already decided by the
   * framework. The writer adds its own to this object rather than copying it
   * (a stream's ~20 headers spread into a new object cost a few µs per
   * stream), so pass one the caller does not use afterwards.
   */
  headers?: Record<string, string | number | string[]>;
  /** Called when the response closes before {@link SseWriter.end} (the client went away). */
  onClose?: () => void;
}

const LINE_BREAK = /\r\n|\r|\n/;
const SOME_LINE_BREAK = /[\r\n]/;

/**
 * What the framework layer wants to know about one response that becomes an
 * event stream (metrics, timing). One watcher serves every response of an
 * app; each response registers it with its own `context` (e.g. its arrival
 * time) through {@link watchSseResponse}, so the writer needs no reference to
 * the app and an open stream holds no closures of its own for it.
 */
export interface SseResponseWatcher<Context = unknown> {
  /** Extra headers, computed just before the stream's headers are written. */
  headers?(context: Context): Record<string, string>;
  /** The stream's headers were written. */
  opened?(context: Context): void;
  /** The stream ended or its client went away; called once, after `opened`. */
  closed?(context: Context): void;
}

interface Watch {
  watcher: SseResponseWatcher;
  context: unknown;
}

const watches = new WeakMap<ServerResponse, Watch>();

/** Registers `watcher` with `context` for `response`, used if an {@link SseWriter} is created on it. */
export function watchSseResponse<Context>(response: ServerResponse, watcher: SseResponseWatcher<Context>, context: Context): void {
  watches.set(response, { watcher, context });
}

/**
 * The open writers that send keep-alive comments every `intervalMs`, served
 * by one timer per interval rather than one per stream (a timer and its
 * closure cost each open stream ~200 bytes). The timer ticks at half the
 * interval and writes only to streams that sent nothing since the previous
 * tick, so no stream stays silent longer than the interval and busy streams
 * get no comments. A tick that finds no writer stops the timer, rather than
 * the last writer to leave: short streams one after another would otherwise
 * start and stop a timer each.
 */
class KeepAliveGroup {
  private static readonly groups = new Map<number, KeepAliveGroup>();
  private readonly writers = new Set<SseWriter>();
  private readonly timer: NodeJS.Timeout;

  private constructor(private readonly intervalMs: number) {
    this.timer = setInterval(() => this.tick(), Math.max(1, Math.floor(intervalMs / 2)));
    this.timer.unref();
  }

  /** Adds `writer` to the group of `intervalMs`, started if needed. */
  static join(intervalMs: number, writer: SseWriter): KeepAliveGroup {
    let group = KeepAliveGroup.groups.get(intervalMs);
    if (group === undefined) {
      group = new KeepAliveGroup(intervalMs);
      KeepAliveGroup.groups.set(intervalMs, group);
    }
    group.writers.add(writer);
    return group;
  }

  /** Removes `writer`; the group's next tick stops the timer if it was the last. */
  leave(writer: SseWriter): void {
    this.writers.delete(writer);
  }

  private tick(): void {
    if (this.writers.size === 0) {
      clearInterval(this.timer);
      KeepAliveGroup.groups.delete(this.intervalMs);
      return;
    }
    for (const writer of this.writers) writer.keepAliveTick();
  }
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
  private keepAlive: KeepAliveGroup | undefined;
  /** Something was written since the keep-alive group's last tick. */
  private active = true;
  private closedFlag = false;
  /** Corked until the next tick (see `write`). */
  private corked = false;
  private readonly watch: Watch | undefined;
  /** SseWriterOptions.onClose until the stream was ended by {@link end}. */
  private onClientClose: (() => void) | undefined;
  private readonly uncork = (): void => {
    this.corked = false;
    this.response.uncork();
  };
  /** The response's one `close` listener (`on`, not `once`: `close` fires once, and `once` wraps each listener in two more objects). */
  private readonly onResponseClose = (): void => {
    this.stop();
    const watch = this.watch;
    if (watch !== undefined) watch.watcher.closed?.(watch.context);
    this.onClientClose?.();
  };

  constructor(
    private readonly response: ServerResponse,
    options: SseWriterOptions = {},
  ) {
    const watch = watches.get(response);
    const headers = options.headers ?? {};
    const watched = watch?.watcher.headers?.(watch.context);
    if (watched !== undefined) Object.assign(headers, watched);
    headers['content-type'] = 'text/event-stream; charset=utf-8';
    headers['cache-control'] = 'no-cache';
    headers.connection = 'keep-alive';
    // nginx buffers proxied responses unless told not to.
    headers['x-accel-buffering'] = 'no';
    response.writeHead(200, headers);
    // Headers are sent now (a client learns the stream is open before its first
    // event), but corked like a write: frames written in the same tick (a run
    // that already has output) leave with them in one syscall.
    this.corkUntilNextTick();
    response.flushHeaders();
    if (options.retryMs !== undefined) response.write(`retry: ${options.retryMs}\n\n`);
    this.onClientClose = options.onClose;
    // A client that left before the stream began is not an open stream.
    if (watch !== undefined && !response.destroyed) {
      this.watch = watch;
      watch.watcher.opened?.(watch.context);
    }
    response.on('close', this.onResponseClose);
    // A destroyed response may have emitted `close` already: it would never leave the group.
    if (options.keepAliveMs !== undefined && options.keepAliveMs > 0 && !response.destroyed) this.keepAlive = KeepAliveGroup.join(options.keepAliveMs, this);
  }

  /** Called by the keep-alive group: a comment unless something was written since its last tick. */
  keepAliveTick(): void {
    if (this.active) this.active = false;
    else if (!this.closed) this.response.write(': keep-alive\n\n');
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
    this.active = true;
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

  /** Ends the stream; SseWriterOptions.onClose is not called after this. */
  end(): void {
    this.onClientClose = undefined;
    this.stop();
    if (!this.response.writableEnded) this.response.end();
  }

  private stop(): void {
    this.closedFlag = true;
    this.keepAlive?.leave(this);
    this.keepAlive = undefined;
  }
}
