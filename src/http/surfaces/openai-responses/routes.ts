/**
 * The OpenAI Responses API (`/v1/responses`): create (streaming or not,
 * `background`, `previous_response_id`, `store`), retrieve (and resume its
 * event stream with `?stream=true&starting_after=N`), cancel, delete, and
 * list input items. Generation and persistence are the ResponsesService's;
 * this file maps requests in and run events out.
 */
import { attachmentBodyLimit } from '../../schemas.js';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ParleyError } from '../../../errors.js';
import { isTerminal } from '../../../runs/events.js';
import type { ResponseRecord, ResponseSnapshot } from '../../../services/responses.js';
import { errorOfRun } from '../../../services/runs.js';
import type { AppContext } from '../../context.js';
import { serveRunStream } from '../../streaming/run-stream.js';
import type { SseMessage } from '../../streaming/sse.js';
import { pureFoldView, type StreamView } from '../../streaming/stream-view.js';
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
async function currentResponse(context: AppContext, snapshot: ResponseSnapshot) {
  const identity = identityOf(snapshot.record);
  const events = await context.runs.snapshot(snapshot.record.runId);
  if (events === undefined) return responseFromAnswer(identity, snapshot.answer);
  const { state, frames } = foldResponsesEvents(identity, events);
  const last = frames.at(-1);
  if (state.ended && last !== undefined && 'response' in last) return last.response;
  const shown = state.model === undefined ? identity : { ...identity, model: state.model };
  return responseObject(shown, { status: state.status, output: [...state.output], usage: state.usage, error: null, incompleteReason: null });
}

/**
 * The Responses event stream of one response as a streaming view: frames are
 * numbered from 1 in the order OpenAI's `sequence_number` counts them from 0,
 * so `starting_after=N` resumes after frame N + 1. A foreground stream reports
 * a failure before any output as an HTTP status; a background one (its client
 * already has the response) as `response.failed`.
 */
export function responsesStreamView(identity: ResponseIdentity, earlyFailure: 'status' | 'event'): StreamView<{ current: ResponsesStreamState }, SseMessage> {
  return pureFoldView(
    {
      initial: initialResponsesStreamState,
      step: (state, event) => {
        const step = foldResponsesStream(identity, state, event);
        return { state: step.state, frames: step.frames.map((frame) => ({ event: frame.type, data: JSON.stringify(frame) })) };
      },
    },
    { resume: 'frame', earlyFailure },
  );
}

/** Streams a response's events, those after sequence number `startingAfter` (-1: all). */
async function streamResponse(context: AppContext, reply: FastifyReply, record: ResponseRecord, options: { startingAfter?: number; started: boolean }): Promise<void> {
  const view = responsesStreamView(identityOf(record), record.settings.background ? 'event' : 'status');
  await serveRunStream(context, reply, view, { runId: record.runId, after: (options.startingAfter ?? -1) + 1, started: options.started });
}

/** Waits for the run's terminal event. */
async function settled(context: AppContext, runId: string): Promise<void> {
  for await (const batch of context.runs.events(runId, 0)) if (batch.some(isTerminal)) return;
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
          '`input` as a string or message list, `instructions`, `stream`, `background` (returns at once, status `queued`), `previous_response_id` (continues that stored conversation), `store: false` (readable, not streamable, for PARLEY_RUN_LOG_TTL_SECONDS after it ended), function `tools`, `input_image` / `input_file` parts (https: or data: URLs).',
      },
      config: { startsRun: true },
      bodyLimit: attachmentBodyLimit(context.config.limits),
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
      if (body.stream === true) return streamResponse(context, reply, record, { started: true });
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
      return streamResponse(context, reply, snapshot.record, { startingAfter: request.query.starting_after, started: false });
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
