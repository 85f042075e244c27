/**
 * `POST /api/chat/stream`: seed 002's SSE stream of processing steps, one
 * `data: {"step", "content", "timestamp", "is_complete"}` message per step as
 * its stage completes, the `output` step last with `is_complete: true`.
 * Every message carries `id: <run_id>:<seq>`; re-sending the request with
 * `Last-Event-ID` resumes the run instead of asking again, and gets each
 * remaining message once, in order. A disconnect never stops the run.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RunEvent } from '../../runs/events.js';
import type { AppContext } from '../context.js';
import { streamRun } from '../run-stream.js';
import type { SseMessage } from '../sse.js';
import type { SurfacePerformance } from './performance.js';
import { StepTracker } from './steps.js';

/** What to stream. */
export interface StepStreamOptions {
  request: FastifyRequest;
  reply: FastifyReply;
  runId: string;
  /** The client saw every message up to this event seq (from `Last-Event-ID`); 0 for a new stream. */
  afterSeq: number;
  /** Sent on every step so a client that started without a session learns its id; null when unknown. */
  sessionId: string | null;
}

/**
 * The session (`external_id`) a run's conversation belongs to, for a resumed
 * stream whose request may not name it.
 */
export async function sessionOfRun(context: AppContext, ownerId: string, runId: string): Promise<string | null> {
  const started = context.runs.log.snapshot(runId)?.find((event) => event.type === 'run.started');
  if (started?.type !== 'run.started' || started.conversation_id === null) return null;
  const conversation = await context.store.conversations.get(ownerId, started.conversation_id);
  return conversation?.external_id ?? null;
}

/** Streams the run's steps from the start or from a resume point. */
export async function streamSteps(context: AppContext, performance: SurfacePerformance, options: StepStreamOptions): Promise<void> {
  const { runId, afterSeq, sessionId } = options;
  const tracker = new StepTracker(performance.requestTimeOf(runId));
  // Steps depend on every event before them (the answer is all the deltas), so
  // a resumed stream replays the run from its start through the tracker and
  // only sends what was derived from events after the client's last id.
  const map = (event: RunEvent): SseMessage[] | undefined => {
    const steps = tracker.push(event, performance.timeOf(runId, event.seq));
    if (event.seq <= afterSeq || steps.length === 0) return undefined;
    return steps.map((step) => ({ data: JSON.stringify({ ...step, session_id: sessionId }) }));
  };
  await streamRun({ request: options.request, reply: options.reply, log: context.runs.log, runId, afterSeq: 0, resumable: true, map });
}
