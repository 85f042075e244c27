/**
 * `GET /conversations/{id}/stream`: seed 001's SSE stream, `data:
 * {"content": …}` per delta and a final `data: {"done": true, "message_id":
 * …}`. Reasoning goes out as named `reasoning` events, which seed clients
 * listening only to unnamed messages never see. A disconnect does not stop
 * the run; reconnecting with `Last-Event-ID` resumes where the client left off.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ParleyError } from '../../errors.js';
import type { RunEvent } from '../../runs/events.js';
import type { AppContext } from '../context.js';
import { rejectEarlyFailure, resumeTarget, streamRun } from '../run-stream.js';
import type { SseMessage } from '../sse.js';

/** Maps one run event to the seed's SSE messages. */
export function conversationStreamMessage(event: RunEvent): SseMessage | undefined {
  switch (event.type) {
    case 'message.delta':
      return { data: JSON.stringify({ content: event.text }) };
    case 'reasoning.delta':
      return { event: 'reasoning', data: JSON.stringify({ reasoning: event.text }) };
    case 'run.completed':
      return { data: JSON.stringify({ done: true, message_id: event.message_id, finish_reason: event.finish_reason }) };
    case 'run.cancelled':
      return { data: JSON.stringify({ done: true, message_id: event.message_id, cancelled: true }) };
    case 'run.failed':
      return { data: JSON.stringify({ done: true, message_id: event.message_id, error: event.error.message, code: event.error.code }) };
    default:
      return undefined;
  }
}

/** Picks the run to stream (resume, attach, or a new one) and streams it. */
export async function streamConversation(
  context: AppContext,
  request: FastifyRequest<{ Params: { id: string }; Querystring: { model?: string } }>,
  reply: FastifyReply,
): Promise<void> {
  const { chat, runs, store } = context;
  const ownerId = request.principal.ownerId;
  const conversation = await chat.conversation(ownerId, request.params.id);
  const stream = (runId: string, afterSeq: number) =>
    streamRun({ request, reply, log: runs.log, runId, afterSeq, resumable: true, map: conversationStreamMessage });

  const resume = await resumeTarget(context, request);
  if (resume !== undefined) return stream(resume.runId, resume.seq);
  const active = runs.activeForConversation(conversation.id);
  if (active !== undefined) return stream(active.id, 0);

  const head = await store.messages.head(conversation.id);
  if (head?.role === 'assistant' && head.run_id !== null && runs.log.has(head.run_id)) return stream(head.run_id, 0);
  if (head?.role !== 'user') {
    throw new ParleyError('conflict', 'The latest message is already answered; POST /conversations/{id}/messages first.');
  }
  const handle = await chat.answer({ ownerId, conversation, surface: 'conversations', model: request.query.model, requestId: request.id });
  await rejectEarlyFailure(runs.log, handle.id);
  return stream(handle.id, 0);
}
