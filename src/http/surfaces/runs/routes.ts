/**
 * Runs as a resource: read one, or cancel it. Cancelling aborts the upstream
 * request and stores the partial answer as `cancelled`; it is the explicit
 * stop that a disconnect never is.
 */
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { ParleyError } from '../../../errors.js';
import type { AppContext } from '../../context.js';

const runParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9a-fA-F-]+$' }) });
type RunParams = Static<typeof runParams>;
const tags = ['runs'];

/** Registers `GET /runs/{id}` and `POST /runs/{id}/cancel`. */
export function registerRunRoutes(app: FastifyInstance, context: AppContext): void {
  const { runs } = context;

  const find = async (ownerId: string, id: string) => {
    const run = await runs.get(ownerId, id);
    if (run === undefined) throw new ParleyError('run_not_found', `Run ${id} was not found.`, { param: 'id' });
    return run;
  };

  app.get<{ Params: RunParams }>('/runs/:id', { schema: { params: runParams, tags, summary: 'Get a run: status, model and usage' } }, async (request) => {
    const run = await find(request.principal.ownerId, request.params.id);
    return {
      id: run.id,
      status: run.status,
      conversation_id: run.conversation_id,
      message_id: run.message_id,
      provider: run.provider,
      model: run.model,
      finish_reason: run.finish_reason,
      usage: {
        prompt_tokens: run.prompt_tokens,
        completion_tokens: run.completion_tokens,
        reasoning_tokens: run.reasoning_tokens,
        cached_tokens: run.cached_tokens,
        cache_hit: run.cache_hit === 1,
        saved_tokens: run.saved_tokens,
        cost_usd: run.cost_usd,
      },
      error_code: run.error_code,
      created_at: run.created_at,
      completed_at: run.completed_at,
    };
  });

  app.post<{ Params: RunParams }>(
    '/runs/:id/cancel',
    { schema: { params: runParams, tags, summary: 'Cancel a running answer; the partial text is stored as cancelled' } },
    async (request) => {
      const ownerId = request.principal.ownerId;
      const terminal = await runs.cancel(ownerId, request.params.id);
      if (terminal === undefined) {
        const run = await find(ownerId, request.params.id);
        throw new ParleyError('conflict', `Run ${run.id} already ended with status "${run.status}".`);
      }
      return { id: request.params.id, status: terminal.type === 'run.cancelled' ? 'cancelled' : terminal.type.slice(4), message_id: terminal.message_id };
    },
  );
}
