/**
 * The client side of `npm run bench:streams`: thousands of concurrent
 * streamed chat requests held open at once. Each stream is one raw TCP
 * connection speaking just enough HTTP/1.1 (`Connection: close`, so the
 * the body ends at the server's close or its last chunk); it counts SSE events by
 * searching the bytes for `data:` and never parses HTTP chunking or JSON. That
 * keeps the load generator at a few hundred bytes and a few microseconds per
 * event, so on a small machine it is the server that is measured, not it.
 * Connections are spread over several loopback source addresses
 * (127.0.0.1, 127.0.0.2, …) so no address runs out of ephemeral ports.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Tally } from './stats.js';

const DATA = Buffer.from('data:');
const DONE = Buffer.from('[DONE]');
const ERROR = Buffer.from('"error"');
const HEADERS_END = Buffer.from('\r\n\r\n');
/** The last chunk of a chunked body: the answer is over even if the server keeps the connection. */
const BODY_END = Buffer.from('\r\n0\r\n\r\n');
/** Bytes kept from the previous read, so a marker split across two reads is still found. */
const CARRY = 16;

/** Where and what every stream asks. */
export interface SlowStreamTarget {
  host: string;
  port: number;
  path: string;
  /** Extra request headers (the client key). */
  headers: Record<string, string>;
  body: string;
  /** Text of the first answer token. */
  firstToken: string;
  /** Local addresses to connect from, used in turn. */
  sourceAddresses: string[];
}

/** One stream's life; times are `performance.now()` milliseconds. */
interface StreamState {
  socket: Socket;
  openedAt: number;
  status: number | undefined;
  /** The response headers are behind us. */
  inBody: boolean;
  firstTokenAt: number | undefined;
  lastEventAt: number | undefined;
  maxGapMs: number;
  events: number;
  done: boolean;
  carry: Buffer;
  /** Start of the body when the status is not 200 or the stream carries an error, for its code. */
  errorText: string;
}

/** Counters and samples, read while the load runs. */
export interface SlowStreamCounts {
  opened: number;
  /** Connections open now (connected or connecting, not yet closed). */
  open: number;
  /** Open streams that have received their first answer token and are not done. */
  flowing: number;
  completed: number;
  failed: number;
  events: number;
}

/** Opens and follows slow streams; see the file comment. */
export class SlowStreamClient {
  readonly #target: SlowStreamTarget;
  readonly #request: Buffer;
  readonly #firstToken: Buffer;
  readonly #streams = new Set<StreamState>();
  readonly errors = new Tally();
  /** Open to first token (ms), per stream that got one. */
  readonly firstTokenMs: number[] = [];
  /** Longest pause between two reads carrying events (ms), per completed stream. */
  readonly maxGapMs: number[] = [];
  readonly counts: SlowStreamCounts = { opened: 0, open: 0, flowing: 0, completed: 0, failed: 0, events: 0 };
  /** The first failure: when (`performance.now()` ms), why, and how many streams were open then. */
  firstFailure: { atMs: number; reason: string; open: number; flowing: number } | undefined;

  constructor(target: SlowStreamTarget) {
    this.#target = target;
    this.#firstToken = Buffer.from(target.firstToken);
    const headers = Object.entries({
      host: `${target.host}:${target.port}`,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(target.body)),
      connection: 'close',
      ...target.headers,
    });
    this.#request = Buffer.from(`POST ${target.path} HTTP/1.1\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n${target.body}`);
  }

  /** Opens one more stream. */
  open(): void {
    const { sourceAddresses } = this.#target;
    const localAddress = sourceAddresses[this.counts.opened % sourceAddresses.length];
    const socket = connect({ host: this.#target.host, port: this.#target.port, localAddress, noDelay: true });
    const state: StreamState = {
      socket,
      openedAt: performance.now(),
      status: undefined,
      inBody: false,
      firstTokenAt: undefined,
      lastEventAt: undefined,
      maxGapMs: 0,
      events: 0,
      done: false,
      carry: Buffer.alloc(0),
      errorText: '',
    };
    this.counts.opened += 1;
    this.counts.open += 1;
    this.#streams.add(state);
    socket.write(this.#request);
    socket.on('data', (chunk: Buffer) => this.#read(state, chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!state.done) this.#fail(state, `socket ${error.code ?? error.message}`);
    });
    socket.on('close', () => {
      if (state.done) this.#finish(state);
      else if (state.status !== undefined && state.status !== 200) this.#fail(state, `status ${state.status}${errorCode(state.errorText)}`);
      else if (state.errorText !== '') this.#fail(state, `error event${errorCode(state.errorText)}`);
      else this.#fail(state, state.firstTokenAt === undefined ? 'closed before the first token' : 'closed before [DONE]');
    });
  }

  /** Ends every stream still open, counting it as failed with `reason` and how far it got. */
  closeAll(reason: string): void {
    for (const state of [...this.#streams]) {
      this.#fail(state, `${reason} (${state.firstTokenAt === undefined ? 'no token yet' : 'mid-answer'})`);
      state.socket.destroy();
    }
  }

  #read(state: StreamState, chunk: Buffer): void {
    if (state.status === undefined) {
      // "HTTP/1.1 200 OK": the status is the 3 digits after the first space.
      state.status = Number(chunk.subarray(9, 12).toString('latin1'));
    }
    if (state.status !== 200) {
      this.#readRefusal(state, chunk);
      return;
    }
    let view = state.carry.length === 0 ? chunk : Buffer.concat([state.carry, chunk]);
    let searchFrom = Math.max(0, state.carry.length - DATA.length + 1);
    if (!state.inBody) {
      // Header values may hold `data:` (the Content-Security-Policy does): count only in the body.
      const headersEnd = view.indexOf(HEADERS_END);
      if (headersEnd === -1) {
        state.carry = view.subarray(-CARRY);
        return;
      }
      state.inBody = true;
      view = view.subarray(headersEnd + HEADERS_END.length);
      searchFrom = 0;
    }
    if (!state.done) this.#countEvents(state, view, searchFrom);
    if (state.done && view.includes(BODY_END)) {
      // Parley answers SSE with `Connection: keep-alive` even to `Connection: close`: the last chunk ends it.
      this.#finish(state);
      state.socket.destroy();
      return;
    }
    state.carry = view.subarray(-CARRY);
  }

  /** Collects a non-200 answer (an error body, for its code) and ends the stream once it is complete. */
  #readRefusal(state: StreamState, chunk: Buffer): void {
    if (state.errorText.length < 4096) state.errorText += chunk.toString('utf8');
    const headersEnd = state.errorText.indexOf('\r\n\r\n');
    const length = Number(/^content-length:\s*(\d+)/im.exec(state.errorText)?.[1] ?? Number.NaN);
    const bodyBytes = headersEnd === -1 ? 0 : Buffer.byteLength(state.errorText.slice(headersEnd + 4));
    const complete = (Number.isFinite(length) && bodyBytes >= length) || state.errorText.endsWith('\r\n0\r\n\r\n') || state.errorText.length >= 4096;
    if (!complete) return;
    this.#fail(state, `status ${state.status}${errorCode(state.errorText)}`);
    state.socket.destroy();
  }

  /** Counts the `data:` lines of `view` from `searchFrom` (earlier ones were counted with the previous read). */
  #countEvents(state: StreamState, view: Buffer, searchFrom: number): void {
    let events = 0;
    for (let at = view.indexOf(DATA, searchFrom); at !== -1; at = view.indexOf(DATA, at + DATA.length)) events += 1;
    if (events === 0) return;
    const now = performance.now();
    if (state.lastEventAt !== undefined) state.maxGapMs = Math.max(state.maxGapMs, now - state.lastEventAt);
    state.lastEventAt = now;
    state.events += events;
    this.counts.events += events;
    if (state.firstTokenAt === undefined && view.includes(this.#firstToken)) {
      state.firstTokenAt = now;
      this.firstTokenMs.push(now - state.openedAt);
      this.counts.flowing += 1;
    }
    if (state.errorText === '' && view.includes(ERROR)) state.errorText = view.toString('utf8');
    if (view.includes(DONE)) state.done = state.errorText === '';
  }

  #finish(state: StreamState): void {
    if (!this.#remove(state)) return;
    this.counts.completed += 1;
    this.maxGapMs.push(state.maxGapMs);
  }

  #fail(state: StreamState, reason: string): void {
    const { open, flowing } = this.counts;
    if (!this.#remove(state)) return;
    this.firstFailure ??= { atMs: performance.now(), reason, open, flowing };
    this.counts.failed += 1;
    this.errors.add(reason);
  }

  /** Forgets `state`; false if it was already gone (a socket reports both `error` and `close`). */
  #remove(state: StreamState): boolean {
    if (!this.#streams.delete(state)) return false;
    this.counts.open -= 1;
    if (state.firstTokenAt !== undefined) this.counts.flowing -= 1;
    return true;
  }
}

/** ` <code>` from an OpenAI-style error body or event, or ''. */
function errorCode(text: string): string {
  const code = /"code"\s*:\s*"([^"]+)"/.exec(text)?.[1];
  return code === undefined ? '' : ` ${code}`;
}
