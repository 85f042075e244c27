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
export async function serveRunStream<State>(context: AppContext, reply: FastifyReply, view: StreamView<State, SseMessage>, target: StreamTarget): Promise<void> {
  if (target.started && view.earlyFailure === 'status') await context.runs.firstOutput(target.runId);
  await streamRunSse(reply, context.runs, target.runId, view, target.after, { consume: target.consume === true });
}

/**
 * Writes the run's frames after position `after` to the response until the
 * terminal event's frames were sent or the client left. A disconnect stops
 * only the reading; the run goes on (DESIGN.md "Run"). `read` is how the
 * run's events are read (ReadOptions.consume for a run nobody else reads).
 */
export async function streamRunSse<State>(
  reply: FastifyReply,
  runs: Pick<RunReader, 'events'>,
  runId: string,
  view: StreamView<State, SseMessage>,
  after = 0,
  read: ReadOptions = {},
): Promise<void> {
  reply.hijack();
  const writer = new SseWriter(reply.raw, { keepAliveMs: SSE_KEEP_ALIVE_MS, headers: headersOf(reply) });
  const disconnect = new AbortController();
  // With a reason: a bare abort() builds a DOMException (with a stack).
  const closed = (): void => disconnect.abort('response closed');
  if (reply.raw.destroyed) disconnect.abort('client gone');
  else reply.raw.once('close', closed);
  const ids = view.resume !== 'none';
  let pending = '';
  await foldRun(runs.events(runId, 0, disconnect.signal, read), view, after, {
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
  // Read to the end: nothing left to stop, and aborting (an event dispatch) per finished response is not free.
  reply.raw.off('close', closed);
  writer.end();
}

/** Headers already set on the reply by hooks (CORS, request id, rate limit). */
function headersOf(reply: FastifyReply): Record<string, string | number | string[]> {
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}
