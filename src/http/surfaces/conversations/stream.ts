/**
 * `GET /conversations/{id}/stream`: seed 001's SSE stream, `data:
 * {"content": …}` per delta and a final `data: {"done": true, "message_id":
 * …}`. Reasoning goes out as named `reasoning` events, which seed clients
 * listening only to unnamed messages never see. A disconnect does not stop
 * the run; reconnecting with `Last-Event-ID` resumes where the client left off.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RunEvent } from '../../../runs/events.js';
import type { AppContext } from '../../context.js';
import { chargeRunStart } from '../../plugins/guard/rate-limit.js';
import { lastEventId, serveRunStream } from '../../streaming/run-stream.js';
import type { SseMessage } from '../../streaming/sse.js';
import { statelessView } from '../../streaming/stream-view.js';

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

/** Seed 001's stream view: resumable by event id; a failure before output is an HTTP status. */
export const conversationStreamView = statelessView(conversationStreamMessage, { resume: 'event', earlyFailure: 'status' });

/** Streams the run the core picks for the conversation (resume, attach, or a new answer). */
export async function streamConversation(
  context: AppContext,
  request: FastifyRequest<{ Params: { id: string }; Querystring: { model?: string } }>,
  reply: FastifyReply,
): Promise<void> {
  const target = await context.chat.followConversation({
    ownerId: request.principal.ownerId,
    conversationId: request.params.id,
    resume: lastEventId(request),
    model: request.query.model,
    requestId: request.id,
    // Only a new answer counts against the chat rate limits; a resume or an attach does not.
    beforeStart: () => chargeRunStart(request, reply),
  });
  await serveRunStream(context, reply, conversationStreamView, target);
}
