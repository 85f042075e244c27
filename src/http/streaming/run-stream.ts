/**
 * Serves a run as an SSE response through a streaming view (stream-view.ts):
 * the transport every SSE surface shares. Event ids are `<run_id>:<position>`,
 * so a `Last-Event-ID` names both the run and the position to resume after.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
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
  const disconnect = new AbortController();
  // With a reason: a bare abort() builds a DOMException (with a stack).
  // Once the run was read to the end there is nothing left to stop, and
  // aborting (an event dispatch) per finished response is not free: end() drops it.
  const writer = new SseWriter(reply.raw, { keepAliveMs: SSE_KEEP_ALIVE_MS, headers: headersOf(reply), onClose: () => disconnect.abort('response closed') });
  if (reply.raw.destroyed) disconnect.abort('client gone');
  const ids = view.resume !== 'none';
  let pending = '';
  const folded = foldRun(runs.events(runId, 0, disconnect.signal, read), view, after, {
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
  return folded.then(() => writer.end());
}

/** Headers already set on the reply by hooks (CORS, request id, rate limit). */
function headersOf(reply: FastifyReply): Record<string, string | number | string[]> {
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}
