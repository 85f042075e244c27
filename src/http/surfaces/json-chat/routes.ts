/**
 * The JSON SSE chat API of seed-004-json-sse-history-memory.md: `POST
 * /api/chat` (stream), `POST /api/chat/simple`, `GET`/`DELETE
 * /api/chat/history/{user_id}`, and its health routes (see health.ts). A
 * `user_id` names the caller's conversation with that external id.
 *
 * Errors. The seed documents no error event, so everything that fails before
 * the first token is an HTTP status with the JSON error body (400 bad body,
 * 409 a turn still streaming, 429/502/504 from the provider, with
 * `Retry-After` when it sent one). A failure after output can only end the
 * stream: `{"content": "", "done": true, "error": …, "code": …}` then `[DONE]`.
 */
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import type { AppContext } from '../../context.js';
import { chargeRunStart } from '../../plugins/guard/rate-limit.js';
import { lastEventId, serveRunStream } from '../../streaming/run-stream.js';
import { registerJsonSseHealthRoutes } from './health.js';
import { chatBody, historyParams } from './schemas.js';
import { historyView, jsonSseView, simpleChatView } from './views.js';

type ChatBody = Static<ReturnType<typeof chatBody>>;
type HistoryParams = Static<typeof historyParams>;
const tags = ['json-sse'];
const surface = 'json-sse';

/** Registers the seed 004 routes. */
export function registerJsonSseRoutes(app: FastifyInstance, context: AppContext): void {
  const { chat, runs } = context;
  const body = chatBody(context.config.limits);

  app.post<{ Body: ChatBody }>(
    '/api/chat',
    {
      schema: {
        body,
        tags,
        summary: 'Chat, streamed as JSON SSE (seed 004)',
        description:
          'Streams `data: {"content": …, "done": false}` per delta, `{"content": "", "done": true}`, then `data: [DONE]`. ' +
          'Every message has `id: <run_id>:<seq>`; re-send the request with `Last-Event-ID` to resume a dropped stream.',
      },
      config: { startsRun: true, resumes: true },
    },
    async (request, reply) => {
      const ownerId = request.principal.ownerId;
      // A reconnect continues the run it names instead of asking the question again.
      const target = await runs.resumeOrStart({
        ownerId,
        resume: lastEventId(request),
        start: async () => {
          await chargeRunStart(request, reply);
          return (await chat.startTurn({ ownerId, externalId: request.body.user_id, message: request.body.message, surface, requestId: request.id })).handle.id;
        },
      });
      await serveRunStream(context, reply, jsonSseView, target);
    },
  );

  app.post<{ Body: ChatBody }>(
    '/api/chat/simple',
    { schema: { body, tags, summary: 'Chat without streaming: the whole answer as JSON (seed 004)' }, config: { startsRun: true } },
    async (request) => {
      const { user_id: userId, message } = request.body;
      const ownerId = request.principal.ownerId;
      const { handle } = await chat.startTurn({ ownerId, externalId: userId, message, surface, requestId: request.id });
      return simpleChatView(userId, message, await runs.answerOf(handle));
    },
  );

  app.get<{ Params: HistoryParams }>(
    '/api/chat/history/:user_id',
    { schema: { params: historyParams, tags, summary: "A user's conversation history as exchanges (seed 004)" } },
    async (request) => {
      const { user_id: userId } = request.params;
      // Reading does not create: an unknown user simply has no history yet.
      const { messages } = await chat.history(request.principal.ownerId, userId);
      return historyView(userId, messages);
    },
  );

  app.delete<{ Params: HistoryParams }>(
    '/api/chat/history/:user_id',
    { schema: { params: historyParams, tags, summary: "Clear a user's conversation history (seed 004)" } },
    async (request) => {
      const { user_id: userId } = request.params;
      const ownerId = request.principal.ownerId;
      const deleted = await chat.clearHistory(ownerId, userId);
      return { user_id: userId, message: `Conversation history cleared for user ${userId}.`, deleted_messages: deleted };
    },
  );

  registerJsonSseHealthRoutes(app, context);
}
