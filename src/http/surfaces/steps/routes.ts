/**
 * The steps + persona API of seed-002-steps-persona-cache.md: `POST
 * /api/chat/send`, `POST /api/chat/stream`, `GET` / `DELETE
 * /api/chat/history?session_id=`, and its status routes (status.ts). A
 * `session_id` names the caller's conversation with that external id, shared
 * with every other surface (it shows in `GET /conversations`).
 *
 * Errors. The seed documents none, so everything that fails before the first
 * step is an HTTP status with the JSON error body (400 naming the field, 409
 * a turn still streaming, 429/502/504 from the provider). A stream that fails
 * later ends with its `output` step carrying the partial text and `error`.
 */
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import type { AppContext } from '../../context.js';
import { chargeRunStart } from '../../plugins/guard/rate-limit.js';
import { lastEventId, serveRunStream } from '../../streaming/run-stream.js';
import { chatBody, historyQuery } from './schemas.js';
import { registerStepsStatusRoutes } from './status.js';
import { processingSteps, stepsView } from './steps.js';
import { startStepsTurn, type ChatBody } from './turn.js';
import { chatMessageView } from './views.js';

type HistoryQuery = Static<typeof historyQuery>;
const tags = ['steps'];

/** Registers the seed 002 routes. */
export function registerStepsRoutes(app: FastifyInstance, context: AppContext): void {
  const { chat, runs, performance } = context;
  const body = chatBody(context.config.limits);

  app.post<{ Body: ChatBody }>(
    '/api/chat/send',
    {
      schema: { body, tags, summary: 'Send a message; the answer and its processing steps as JSON (seed 002)' },
      config: { startsRun: true },
    },
    async (request) => {
      const requestAt = Date.now();
      const turn = await startStepsTurn(context, request.principal.ownerId, request.body, request.id);
      const { handle } = turn;
      performance.track(handle.id, requestAt, request.principal.ownerId);
      const answer = await runs.answerOf(handle);
      const events = (await runs.snapshot(handle.id)) ?? [];
      return {
        success: true,
        message: chatMessageView(answer),
        processing_steps: processingSteps(events, requestAt),
        session_id: turn.sessionId,
        persona: turn.persona,
        model: handle.model,
      };
    },
  );

  app.post<{ Body: ChatBody }>(
    '/api/chat/stream',
    {
      schema: {
        body,
        tags,
        summary: 'Send a message; stream its processing steps as SSE (seed 002)',
        description:
          'Streams `data: {"step": "analyze" | "think" | "output", "content", "timestamp", "is_complete"}` as each stage completes; ' +
          '`output` is last, with `is_complete: true`. Every message has `id: <run_id>:<seq>`; re-send the request with ' +
          '`Last-Event-ID` to resume a dropped stream instead of asking again.',
      },
      config: { startsRun: true, resumes: true },
    },
    async (request, reply) => {
      const ownerId = request.principal.ownerId;
      const requestAt = Date.now();
      let sessionId: string | null = null;
      // A reconnect continues the run it names instead of asking the question again.
      const target = await runs.resumeOrStart({
        ownerId,
        resume: lastEventId(request),
        start: async () => {
          await chargeRunStart(request, reply);
          const turn = await startStepsTurn(context, ownerId, request.body, request.id);
          performance.track(turn.handle.id, requestAt, ownerId);
          sessionId = turn.sessionId;
          return turn.handle.id;
        },
      });
      // A resumed stream's request may not name its session: it is the run's conversation's.
      if (!target.started) sessionId = await chat.sessionOfRun(ownerId, target.runId);
      await serveRunStream(context, reply, stepsView(sessionId, performance.requestTimeOf(target.runId)), target);
    },
  );

  app.get<{ Querystring: HistoryQuery }>(
    '/api/chat/history',
    { schema: { querystring: historyQuery, tags, summary: "A session's chat history (seed 002)" } },
    async (request) => {
      const { session_id: sessionId } = request.query;
      // Reading does not create: an unknown session simply has no history yet.
      const { conversation, messages } = await chat.history(request.principal.ownerId, sessionId);
      return {
        success: true,
        session_id: sessionId,
        persona: context.personas.settingsFor(conversation?.persona ?? null, {}).name,
        messages: messages.map(chatMessageView),
        total_messages: messages.length,
      };
    },
  );

  app.delete<{ Querystring: HistoryQuery }>(
    '/api/chat/history',
    { schema: { querystring: historyQuery, tags, summary: "Clear a session's chat history (seed 002)" } },
    async (request) => {
      const { session_id: sessionId } = request.query;
      const ownerId = request.principal.ownerId;
      const deleted = await chat.clearHistory(ownerId, sessionId);
      return { success: true, session_id: sessionId, message: `Chat history cleared for session ${sessionId}.`, deleted_messages: deleted };
    },
  );

  registerStepsStatusRoutes(app, context);
}
