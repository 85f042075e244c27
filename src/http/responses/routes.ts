/**
 * The OpenAI Responses API (`/v1/responses`): create (streaming or not,
 * `background`, `previous_response_id`, `store`), retrieve (and resume its
 * event stream with `?stream=true&starting_after=N`), cancel, delete, and
 * list input items. Generation and persistence are the ResponsesService's;
 * this file maps requests in and run events out.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ParleyError } from '../../errors.js';
import type { RunEvent } from '../../runs/events.js';
import type { ResponseRecord, ResponseSnapshot } from '../../runs/responses-service.js';
import type { AppContext } from '../context.js';
import { errorOfRun, rejectEarlyFailure, streamRun } from '../run-stream.js';
import { inputOf, settingsOf, upstreamToolsOf } from './input.js';
import { inputItemObject, responseFromAnswer, responseObject, type ResponseIdentity } from './objects.js';
import {
  createResponseSchema,
  inputItemsQuery,
  responseParams,
  retrieveQuery,
  type CreateResponseBody,
  type InputItemsQuery,
  type ResponseParams,
  type RetrieveQuery,
} from './schemas.js';
import { foldResponsesEvents, foldResponsesStream, initialResponsesStreamState, type ResponsesStreamState } from './stream.js';

const tags = ['openai'];

function identityOf(record: ResponseRecord): ResponseIdentity {
  return { id: record.id, model: record.model, settings: record.settings, previousResponseId: record.previousResponseId, createdAt: record.createdAt };
}

/** The response object as it stands: from the logged events while they exist, else from the kept answer. */
function currentResponse(context: AppContext, snapshot: ResponseSnapshot) {
  const identity = identityOf(snapshot.record);
  const events = context.runs.log.snapshot(snapshot.record.runId);
  if (events === undefined) return responseFromAnswer(identity, snapshot.answer);
  const { state, frames } = foldResponsesEvents(identity, events);
  const last = frames.at(-1);
  if (state.ended && last !== undefined && 'response' in last) return last.response;
  return responseObject(identity, { status: state.status, output: [...state.output], usage: state.usage, error: null, incompleteReason: null });
}

/** Streams a response's events from the run's start, sending those after `startingAfter`. */
async function streamResponse(context: AppContext, request: FastifyRequest, reply: FastifyReply, record: ResponseRecord, startingAfter = -1): Promise<void> {
  const identity = identityOf(record);
  let state: ResponsesStreamState = initialResponsesStreamState();
  await streamRun({
    request,
    reply,
    log: context.runs.log,
    runId: record.runId,
    resumable: false,
    map: (event: RunEvent) => {
      const step = foldResponsesStream(identity, state, event);
      state = step.state;
      return step.frames.filter((frame) => frame.sequence_number > startingAfter).map((frame) => ({ event: frame.type, data: JSON.stringify(frame) }));
    },
  });
}

/** Waits for the run's terminal event. */
async function settled(context: AppContext, runId: string): Promise<void> {
  for await (const event of context.runs.log.read(runId, 0)) if (event.type === 'run.completed' || event.type === 'run.failed' || event.type === 'run.cancelled') return;
}

/** Registers the `/v1/responses` routes. */
export function registerResponsesRoutes(app: FastifyInstance, context: AppContext): void {
  const { responses, runs } = context;

  app.post<{ Body: CreateResponseBody }>(
    '/v1/responses',
    {
      schema: {
        body: createResponseSchema(context.config.limits),
        tags,
        summary: 'Create a model response (OpenAI Responses API)',
        description:
          '`input` as a string or message list, `instructions`, `stream`, `background` (returns at once, status `queued`), `previous_response_id` (continues that stored conversation), `store: false` (kept only while the run log holds it), function `tools`.',
      },
      config: { startsRun: true },
    },
    async (request, reply) => {
      const { body } = request;
      const ownerId = request.principal.ownerId;
      const settings = settingsOf(body);
      const record = await responses.create({
        ownerId,
        settings,
        input: inputOf(body),
        upstreamTools: upstreamToolsOf(body),
        ...(body.previous_response_id == null ? {} : { previousResponseId: body.previous_response_id }),
        requestId: request.id,
      });
      // Nothing but this connection can read an unstored, foreground response: when it goes, so does the run.
      if (!settings.store && !settings.background) reply.raw.once('close', () => void runs.cancel(ownerId, record.runId));
      if (body.stream === true) {
        if (!settings.background) await rejectEarlyFailure(runs.log, record.runId);
        return streamResponse(context, request, reply, record);
      }
      if (!settings.background) {
        await settled(context, record.runId);
        const snapshot = await responses.get(ownerId, record.id);
        if (snapshot.answer.status === 'failed' && !snapshot.answer.started_output && snapshot.answer.error !== null) throw errorOfRun(snapshot.answer.error);
        return currentResponse(context, snapshot);
      }
      return currentResponse(context, await responses.get(ownerId, record.id));
    },
  );

  app.get<{ Params: ResponseParams; Querystring: RetrieveQuery }>(
    '/v1/responses/:response_id',
    {
      schema: {
        params: responseParams,
        querystring: retrieveQuery,
        tags,
        summary: 'Retrieve a response; with stream=true, its event stream (resumed after starting_after)',
      },
    },
    async (request, reply) => {
      const snapshot = await responses.get(request.principal.ownerId, request.params.response_id);
      if (request.query.stream !== true) return currentResponse(context, snapshot);
      if (!snapshot.streamable) {
        throw new ParleyError('validation_failed', `The events of response ${snapshot.record.id} are no longer kept (PARLEY_RUN_LOG_TTL_SECONDS); retrieve it without stream.`, { param: 'stream' });
      }
      return streamResponse(context, request, reply, snapshot.record, request.query.starting_after ?? -1);
    },
  );

  app.post<{ Params: ResponseParams }>(
    '/v1/responses/:response_id/cancel',
    { schema: { params: responseParams, tags, summary: 'Cancel a response (idempotent; an ended response is returned as it is)' } },
    async (request) => currentResponse(context, await responses.cancel(request.principal.ownerId, request.params.response_id)),
  );

  app.delete<{ Params: ResponseParams }>(
    '/v1/responses/:response_id',
    { schema: { params: responseParams, tags, summary: 'Delete a response (its conversation turn stays in /conversations)' } },
    async (request) => {
      await responses.delete(request.principal.ownerId, request.params.response_id);
      return { id: request.params.response_id, object: 'response', deleted: true };
    },
  );

  app.get<{ Params: ResponseParams; Querystring: InputItemsQuery }>(
    '/v1/responses/:response_id/input_items',
    { schema: { params: responseParams, querystring: inputItemsQuery, tags, summary: 'List the input items of a response' } },
    async (request) => {
      const { record } = await responses.get(request.principal.ownerId, request.params.response_id);
      const { limit = 20, order = 'desc', after } = request.query;
      let items = order === 'desc' ? [...record.input].reverse() : record.input;
      if (after !== undefined) {
        const position = items.findIndex((item) => item.id === after);
        items = position < 0 ? [] : items.slice(position + 1);
      }
      const page = items.slice(0, limit).map(inputItemObject);
      return { object: 'list', data: page, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null, has_more: items.length > limit };
    },
  );
}
