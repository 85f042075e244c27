/**
 * Serves a run as an SSE response through a streaming view (stream-view.ts):
 * the transport every SSE surface shares. Event ids are `<run_id>:<position>`,
 * so a `Last-Event-ID` names both the run and the position to resume after.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RunEvent } from '../../runs/events.js';
import type { ReadOptions, ResumePoint, RunReader, StreamTarget } from '../../services/runs.js';
import type { AppContext } from '../context.js';
import { frameSse, SseWriter, type SseMessage } from './sse.js';
import { foldRun, type StreamView } from './stream-view.js';

/** Keep-alive comment interval for every stream, ms. */
export const SSE_KEEP_ALIVE_MS = 15_000;

/** Parses a `Last-Event-ID` of the form `<run_id>:<position>`; undefined for anything else. */
export function parseLastEventId(value: string | string[] | undefined): ResumePoint | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  const match = text === undefined ? null : /^([0-9a-f-]{36}):(\d{1,9})$/i.exec(text.trim());
  if (match === null) return undefined;
  return { runId: match[1]!.toLowerCase(), after: Number(match[2]) };
}

/** The resume point a request presents in `Last-Event-ID`, if any. */
export function lastEventId(request: FastifyRequest): ResumePoint | undefined {
  return parseLastEventId(request.headers['last-event-id']);
}

/**
 * Streams the run `target` names through `view`. A run started for this
 * request whose view reports early failures as a status is first awaited
 * until its first output, so that a provider failure is a real HTTP error.
 * @throws ParleyError of a run that failed before any output (status views only).
 */
export function serveRunStream<State>(context: AppContext, reply: FastifyReply, view: StreamView<State, SseMessage>, target: StreamTarget): Promise<void> {
  // Promise chains rather than async functions: an async function suspended in
  // `await` holds a generator and its register file for the stream's whole life.
  const stream = () => streamRunSse(reply, context.runs, target.runId, view, target.after, { consume: target.consume === true });
  if (target.started && view.earlyFailure === 'status') return context.runs.firstOutput(target.runId).then(stream);
  return stream();
}

/**
 * Writes the run's frames after position `after` to the response until the
 * terminal event's frames were sent or the client left. A disconnect stops
 * only the reading; the run goes on (DESIGN.md "Run"). `read` is how the
 * run's events are read (ReadOptions.consume for a run nobody else reads).
 */
export function streamRunSse<State>(
  reply: FastifyReply,
  runs: Pick<RunReader, 'events'>,
  runId: string,
  view: StreamView<State, SseMessage>,
  after = 0,
  read: ReadOptions = {},
): Promise<void> {
  reply.hijack();
  const writer = new SseWriter(reply.raw, { keepAliveMs: SSE_KEEP_ALIVE_MS, headers: headersOf(reply) });
  const ids = view.resume !== 'none';
  let pending = '';
  const reading = readUntilDisconnect(reply.raw, (signal) => runs.events(runId, 0, signal, read));
  const folded = foldRun(reading.events, view, after, {
    frame: (message, position) => {
      pending += frameSse(message, ids ? `${runId}:${position}` : undefined);
    },
    flush: () => {
      if (pending === '') return !writer.closed;
      const frames = pending;
      pending = '';
      return writer.write(frames);
    },
  });
  return folded.then(() => {
    reading.done();
    writer.end();
  });
}

/** Headers already set on the reply by hooks (CORS, request id, rate limit), as a new object the writer adds its own to. */
function headersOf(reply: FastifyReply): Record<string, string | number | string[]> {
  const headers = reply.getHeaders();
  // Fastify's type allows undefined values, which Node refuses; no hook sets one.
  for (const name in headers) if (headers[name] === undefined) delete headers[name];
  return headers as Record<string, string | number | string[]>;
}

/** What stops the reading of a connection's streams when it closes. */
interface Disconnect {
  controller: AbortController;
  /** Streams of this connection being read now: only they need the abort. */
  reading: number;
}

/**
 * One per connection, shared by the responses a keep-alive connection carries
 * one after another: an `AbortSignal` costs ~5 µs to create (Node 20), a
 * noticeable part of a short stream's own cost. An HTTP/1 response closes
 * before its end only when its connection does, so the connection's `close`
 * is the same "the client went away" as the response's.
 */
const disconnects = new WeakMap<Socket, Disconnect>();

/**
 * Reads the run's events until the client of `response` goes away; `done`
 * is called once the caller stopped reading.
 */
function readUntilDisconnect(
  response: ServerResponse,
  read: (signal: AbortSignal) => AsyncIterable<readonly RunEvent[]>,
): { events: AsyncIterable<readonly RunEvent[]>; done: () => void } {
  const { socket } = response;
  if (socket === null || socket.destroyed || response.destroyed) return { events: read(AbortSignal.abort('client gone')), done: () => undefined };
  let disconnect = disconnects.get(socket);
  if (disconnect === undefined) {
    const state: Disconnect = { controller: new AbortController(), reading: 0 };
    disconnects.set(socket, state);
    // With a reason: a bare abort() builds a DOMException (with a stack). A
    // connection nobody reads a stream of needs no abort (an event dispatch).
    socket.on('close', () => {
      if (state.reading > 0) state.controller.abort('connection closed');
    });
    disconnect = state;
  }
  disconnect.reading += 1;
  const state = disconnect;
  return { events: read(state.controller.signal), done: () => (state.reading -= 1) };
}
