/**
 * The plumbing every native HTTP provider (Anthropic, Gemini) shares: one
 * connection pool, auth and configured headers on every call, a streaming POST
 * read by the provider's {@link EventStreamReader} (or, for a caller that waits
 * for the whole answer, one non-streamed POST: ./whole-answer.ts), and a paged
 * `GET` of the model list. The provider folder supplies the URLs, the request body, the
 * reader and the model-page parsing ({@link HttpProviderSpec}).
 */
import { ParleyError } from '../../errors.js';
import type { ChatRequest, ModelInfo, Provider, ProviderInputs, StreamOptions, StreamPart } from '../types.js';
import { createConnectionPool, mergeHeaders, streamEvents, type EventStreamCall, type EventStreamReader } from './event-stream.js';
import { getJson, MODEL_LIST_LIMIT_BYTES } from './get-json.js';
import type { ResponseHeaders } from './retry-after.js';
import type { UpstreamCallContext } from './upstream-errors.js';
import { postWholeAnswer, type WholeAnswerReader } from './whole-answer.js';

/** Pages of a model list read at most: a server that always names a next page cannot loop forever. */
const MAX_MODEL_PAGES = 10;

/** The configuration fields every native provider has (see its config.ts). */
export interface HttpProviderConfig {
  name: string;
  apiKey: string;
  headers: Record<string, string>;
  defaultModel: string;
  firstByteTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections?: number;
}

/** One page of a model list and where the next starts (undefined: last page). */
export interface ModelPage {
  models: ModelInfo[];
  next: string | undefined;
}

/** What one provider adds to the shared plumbing. */
export interface HttpProviderSpec {
  config: HttpProviderConfig;
  inputs: ProviderInputs;
  /** Authentication headers, sent on every call (configured headers override them). */
  auth: Record<string, string>;
  /** URL of the streaming call for a request. */
  streamUrl(request: ChatRequest): string;
  /** The request body (`whole`: for the non-streamed call); throws ParleyError for a request the API cannot take. */
  toBody(request: ChatRequest, whole: boolean): unknown;
  /** A fresh reader for one stream. */
  reader(context: UpstreamCallContext): EventStreamReader;
  /** URL of the non-streamed call that returns the whole answer as one JSON document. */
  wholeUrl(request: ChatRequest): string;
  /** A fresh reader for one whole answer. */
  wholeReader(context: UpstreamCallContext): WholeAnswerReader;
  /** URL of the model-list page starting at `cursor` (undefined: the first page). */
  modelPageUrl(cursor: string | undefined): string;
  /** Reads one model-list page; throws `upstream_bad_response` for a malformed one. */
  toModelPage(document: unknown, context: UpstreamCallContext): ModelPage;
  /** Maps a non-2xx answer (the provider's ./errors.ts). */
  httpError(status: number, headers: ResponseHeaders, bodyText: string, context: UpstreamCallContext): ParleyError;
}

/**
 * The stream of a request that cannot be sent: its `error` part for a
 * ParleyError (a request the API cannot take); anything else is a bug, thrown
 * when the stream is read, as an async generator's body would throw it.
 */
// eslint-disable-next-line @typescript-eslint/require-await -- a stream by contract, with nothing to wait for
async function* refused(error: unknown): AsyncGenerator<StreamPart> {
  if (!(error instanceof ParleyError)) throw error;
  yield { type: 'error', error };
}

/**
 * Creates a provider from its spec.
 * - `stream`: POSTs the body to `streamUrl`, or with `wholeAnswer` the whole-answer
 *   body to `wholeUrl` (./whole-answer.ts: same parts, all at once, the headers
 *   awaited `firstByteTimeoutMs` + `idleTimeoutMs`); never throws (a request that
 *   cannot be mapped, like every upstream failure, arrives as a final `error` part).
 * - `listModels`: GETs every page (at most 10); throws ParleyError.
 * - `close`: closes the connection pool.
 */
export function createHttpProvider(spec: HttpProviderSpec): Provider {
  const { config } = spec;
  const agent = createConnectionPool(config.maxConnections);
  const streamHeaders = mergeHeaders({ accept: 'text/event-stream', 'content-type': 'application/json', ...spec.auth }, config.headers);
  const wholeHeaders = mergeHeaders({ accept: 'application/json', 'content-type': 'application/json', ...spec.auth }, config.headers);
  const listHeaders = mergeHeaders({ accept: 'application/json', ...spec.auth }, config.headers);

  // A plain function handing back the transport's generator, not an async
  // generator around it: that would hold its own frame (request, body, call) for
  // the stream's life and add a hop to every part.
  function stream(request: ChatRequest, options: StreamOptions): AsyncGenerator<StreamPart> {
    try {
      const context: UpstreamCallContext = { provider: config.name, model: request.model, apiKey: config.apiKey };
      const whole = options.wholeAnswer === true;
      const body = Buffer.from(JSON.stringify(spec.toBody(request, whole)));
      const call: EventStreamCall = {
        url: whole ? spec.wholeUrl(request) : spec.streamUrl(request),
        dispatcher: agent,
        headers: whole ? wholeHeaders : streamHeaders,
        body,
        context,
        firstByteTimeoutMs: config.firstByteTimeoutMs,
        idleTimeoutMs: config.idleTimeoutMs,
        signal: options.signal,
      };
      return whole ? postWholeAnswer(call, spec.wholeReader(context)) : streamEvents(call, spec.reader(context));
    } catch (error) {
      return refused(error);
    }
  }

  async function listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    const context: UpstreamCallContext = { provider: config.name, apiKey: config.apiKey };
    const models: ModelInfo[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_MODEL_PAGES; page += 1) {
      const document = await getJson({
        url: spec.modelPageUrl(cursor),
        dispatcher: agent,
        headers: listHeaders,
        context,
        headersTimeoutMs: config.firstByteTimeoutMs,
        limitBytes: MODEL_LIST_LIMIT_BYTES,
        httpError: (status, headers, bodyText) => spec.httpError(status, headers, bodyText, context),
        ...(signal === undefined ? {} : { signal }),
      });
      const { models: pageModels, next } = spec.toModelPage(document, context);
      models.push(...pageModels);
      if (next === undefined) break;
      cursor = next;
    }
    return models;
  }

  return { name: config.name, defaultModel: config.defaultModel, inputs: spec.inputs, stream, listModels, close: () => agent.close() };
}
