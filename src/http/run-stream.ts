/**
 * Tails a run's event log into an SSE response: the piece every SSE view
 * shares. A view supplies only the mapping from run events to its messages.
 * Event ids are `<run_id>:<seq>`, so a `Last-Event-ID` names both the run and
 * the position to resume after.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ParleyError } from '../errors.js';
import type { AppContext } from './context.js';
import type { RunError, RunEvent, TerminalEvent } from '../runs/events.js';
import type { RunEventLog } from '../runs/event-log.js';
import { frameSse, SseWriter, type SseMessage } from './sse.js';

/** Keep-alive comment interval for every stream, ms. */
export const SSE_KEEP_ALIVE_MS = 15_000;

/** How to stream one run. */
export interface RunStreamOptions {
  request: FastifyRequest;
  reply: FastifyReply;
  log: RunEventLog;
  runId: string;
  /** Resume position: events with a greater seq are sent. */
  afterSeq?: number;
  /** Maps an event to zero or more messages; ids are added when `resumable`. */
  map: (event: RunEvent) => SseMessage | SseMessage[] | undefined;
  /** Adds `id: <run_id>:<seq>` to each message so clients can resume. */
  resumable: boolean;
  /** Messages sent once the terminal event was mapped (e.g. `[DONE]`). */
  trailer?: (terminal: RunEvent) => SseMessage[];
}

/** A parsed `Last-Event-ID`. */
export interface ResumePoint {
  runId: string;
  seq: number;
}

/** Parses `<run_id>:<seq>`; undefined for anything else. */
export function parseLastEventId(value: string | string[] | undefined): ResumePoint | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  const match = text === undefined ? null : /^([0-9a-f-]{36}):(\d{1,9})$/i.exec(text.trim());
  if (match === null) return undefined;
  return { runId: match[1]!.toLowerCase(), seq: Number(match[2]) };
}

/** Streams the run until its terminal event or the client's disconnect. */
export async function streamRun(options: RunStreamOptions): Promise<void> {
  const { reply, log, runId } = options;
  reply.hijack();
  const writer = new SseWriter(reply.raw, { keepAliveMs: SSE_KEEP_ALIVE_MS, headers: headersOf(reply) });
  // Only the reading stops on a disconnect; the run goes on (DESIGN.md "Run").
  const disconnect = new AbortController();
  if (reply.raw.destroyed) disconnect.abort();
  else reply.raw.once('close', () => disconnect.abort());
  for await (const event of log.read(runId, options.afterSeq ?? 0, disconnect.signal)) {
    const mapped = options.map(event);
    const messages = mapped === undefined ? [] : Array.isArray(mapped) ? mapped : [mapped];
    if (event.type === 'run.completed' || event.type === 'run.failed' || event.type === 'run.cancelled') {
      messages.push(...(options.trailer?.(event) ?? []));
    }
    let frames = '';
    for (const message of messages) {
      frames += frameWithId(message, options.resumable ? `${runId}:${event.seq}` : undefined);
    }
    if (frames !== '' && !(await writer.write(frames))) break;
  }
  writer.end();
}

function frameWithId(message: SseMessage, id: string | undefined): string {
  return frameSse({ ...message, id: message.id ?? id });
}


/** Headers already set on the reply by hooks (CORS, request id, rate limit). */
function headersOf(reply: FastifyReply): Record<string, string | number | string[]> {
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}

/**
 * Waits for the run's first output; if the run failed before producing any,
 * throws its error so the view can answer with a real HTTP status (502, 504,
 * 429 …) instead of a 200 stream that carries an error.
 * @throws ParleyError of the run's `run.failed` event.
 */
export async function rejectEarlyFailure(log: RunEventLog, runId: string): Promise<void> {
  for await (const event of log.read(runId, 0)) {
    if (event.type === 'run.started') continue;
    if (event.type === 'run.failed') throw errorOfRun(event.error);
    return;
  }
}

/** The ParleyError a failed run answers with; its retry hint becomes `Retry-After` in the error handler. */
export function errorOfRun(error: RunError): ParleyError {
  return new ParleyError(error.code, error.message, { retryAfterSeconds: error.retry_after });
}

/**
 * For views that answer with one JSON body once the run ended: such a body
 * cannot carry "partial text, then an error", so anything but a completed run
 * is the response's status (never a silent truncation).
 * @throws ParleyError of a failed run; `conflict` for a stopped one.
 */
export function requireCompleted(terminal: TerminalEvent): void {
  if (terminal.type === 'run.failed') throw errorOfRun(terminal.error);
  if (terminal.type === 'run.cancelled') {
    throw new ParleyError('conflict', 'The answer was stopped before it completed (cancelled, history cleared or server stopping); send the message again.');
  }
}

/**
 * The run a request asks to resume via `Last-Event-ID`, when it names a run of
 * the caller that is still in the log; otherwise undefined (start afresh).
 * Another tenant's run id is treated as unknown.
 */
export async function resumeTarget(context: AppContext, request: FastifyRequest): Promise<ResumePoint | undefined> {
  const point = parseLastEventId(request.headers['last-event-id']);
  if (point === undefined || !context.runs.log.has(point.runId)) return undefined;
  const run = await context.store.runs.get(request.principal.ownerId, point.runId);
  return run === undefined ? undefined : point;
}
