/**
 * Seed 000's HTTP polling API (seed-000-deepthink-polling-ws.md "HTTP Polling
 * API"): start a task, poll its status, fetch its result, regenerate. A task is
 * a run in the conversation the seed's `user_id` names (so it shows in
 * `/conversations` too); status and result are read from the run's events,
 * or its stored answer once those expired, by whichever instance is asked.
 *
 * `GET /chat/result/{task_id}` before the task ended answers 202 Accepted with
 * the current status body (and `Retry-After: 1`), not an error: the seed's
 * mobile example polls status until `complete` and only then fetches the
 * result, and a client that fetches early has done nothing wrong.
 */
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import type { AppContext } from '../../context.js';
import { regenerateBody, resultResponse, startBody, statusResponse, taskIdResponse, taskParams } from './schemas.js';
import { resultView, statusView } from './views.js';

type StartBody = Static<ReturnType<typeof startBody>>;
type RegenerateBody = Static<typeof regenerateBody>;
type TaskParams = Static<typeof taskParams>;
const tags = ['tasks'];
const surface = 'tasks' as const;
const notFound = { description: 'Unknown, expired (PARLEY_TASK_TTL_SECONDS) or another key\'s task: `task_not_found`.' };

/** Registers `POST /chat/start`, `GET /chat/status/{task_id}`, `GET /chat/result/{task_id}`, `POST /chat/regenerate`. */
export function registerTaskRoutes(app: FastifyInstance, context: AppContext): void {
  const { tasks } = context;

  app.post<{ Body: StartBody }>(
    '/chat/start',
    {
      schema: {
        body: startBody(context.config.limits),
        response: { 200: taskIdResponse },
        tags,
        summary: 'Start a thinking task (seed 000)',
        description:
          'Stores `message` in the conversation of `user_id` and starts the answer; poll `/chat/status/{task_id}`. ' +
          '`thinking` defaults to PARLEY_TASK_THINKING (`structured`). 409 `conflict` while an answer for that user_id is still being written.',
      },
      config: { startsRun: true },
    },
    async (request) => {
      const { user_id: userId, message, model, thinking } = request.body;
      const record = await tasks.start({ ownerId: request.principal.ownerId, userId, message, model, thinking, surface, requestId: request.id });
      return { task_id: record.taskId };
    },
  );

  app.get<{ Params: TaskParams }>(
    '/chat/status/:task_id',
    {
      schema: {
        params: taskParams,
        response: { 200: statusResponse },
        tags,
        summary: 'Check thinking status (seed 000)',
        description:
          'The latest thinking step (`analyzing`, `reasoning`, …) while the model thinks, `answering` while the answer streams, ' +
          'then `complete` (progress 100), `error` or `cancelled`. 404: ' + notFound.description,
      },
    },
    async (request) => statusView(await tasks.snapshot(request.principal.ownerId, request.params.task_id)),
  );

  app.get<{ Params: TaskParams }>(
    '/chat/result/:task_id',
    {
      schema: {
        params: taskParams,
        response: { 200: resultResponse, 202: statusResponse },
        tags,
        summary: 'Get the final result (seed 000)',
        description:
          '200 with thinking_process, final_answer, confidence, citations and suggested_followups once the task ended ' +
          '(`status` says how; a cancelled or failed task carries its partial answer). ' +
          'While it still runs: 202 Accepted with the status body and `Retry-After: 1`. 404: ' + notFound.description,
      },
    },
    async (request, reply) => {
      const snapshot = await tasks.snapshot(request.principal.ownerId, request.params.task_id);
      const { outcome } = snapshot;
      if (outcome === undefined) return reply.status(202).header('retry-after', '1').send(statusView(snapshot));
      return resultView({ ...snapshot, outcome });
    },
  );

  app.post<{ Body: RegenerateBody }>(
    '/chat/regenerate',
    {
      schema: {
        body: regenerateBody,
        response: { 200: taskIdResponse },
        tags,
        summary: 'Regenerate a response (seed 000)',
        description:
          'Answers the question of `last_task_id` again with the same model and thinking mode, as a new task. ' +
          'The new answer becomes the active branch; the old one stays stored as its sibling. 404: ' + notFound.description,
      },
      config: { startsRun: true },
    },
    async (request) => {
      const { user_id: userId, last_task_id: lastTaskId } = request.body;
      const record = await tasks.regenerate({ ownerId: request.principal.ownerId, userId, lastTaskId, surface, requestId: request.id });
      return { task_id: record.taskId };
    },
  );
}
