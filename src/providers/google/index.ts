/**
 * The native Google Gemini provider (Gemini API, https://ai.google.dev/api/generate-content),
 * after vercel/ai `@ai-sdk/google`: streams answers, thought summaries and
 * function calls from `models/{model}:streamGenerateContent?alt=sse`, and lists
 * `GET models`.
 */
import { ParleyError } from '../../errors.js';
import { createConnectionPool, mergeHeaders, streamEvents } from '../provider-utils/event-stream.js';
import type { UpstreamCallContext } from '../provider-utils/upstream-errors.js';
import type { ChatRequest, Provider, StreamOptions, StreamPart } from '../types.js';
import type { GoogleConfig } from './config.js';
import { listGoogleModels } from './models.js';
import { GOOGLE_INPUTS } from './parts.js';
import { toGoogleBody } from './request.js';
import { GoogleStreamReader } from './stream-reader.js';

export type { GoogleConfig } from './config.js';

/** The model path segment: ids may be given with or without `models/`. */
function modelPath(model: string): string {
  return `models/${encodeURIComponent(model.replace(/^models\//, ''))}`;
}

/**
 * Creates the Gemini provider.
 *
 * - `stream(request, {signal})`: `POST {baseURL}/models/{model}:streamGenerateContent?alt=sse`;
 *   yields reasoning (thought summaries), message, tool-call and finish parts as
 *   they arrive, then usage once. The finish part carries Gemini's thought
 *   signatures as provider metadata, which later turns send back. Never throws:
 *   a request that cannot be mapped, HTTP and in-stream errors, safety blocks,
 *   timeouts and cut-off streams arrive as a final `error` part (./errors.ts).
 * - `listModels(signal?)`: `GET {baseURL}/models`, every page; throws ParleyError.
 * - `close()`: closes the connection pool.
 */
export function createGoogleProvider(config: GoogleConfig): Provider {
  const agent = createConnectionPool(config.maxConnections);
  const baseURL = config.baseURL.replace(/\/+$/, '');
  const auth = { 'x-goog-api-key': config.apiKey };
  const streamHeaders = mergeHeaders({ accept: 'text/event-stream', 'content-type': 'application/json', ...auth }, config.headers);
  const listHeaders = mergeHeaders({ accept: 'application/json', ...auth }, config.headers);

  async function* stream(request: ChatRequest, options: StreamOptions): AsyncGenerator<StreamPart> {
    const context: UpstreamCallContext = { provider: config.name, model: request.model, apiKey: config.apiKey };
    let body: string;
    try {
      body = JSON.stringify(toGoogleBody(request, config));
    } catch (error) {
      if (!(error instanceof ParleyError)) throw error;
      yield { type: 'error', error };
      return;
    }
    yield* streamEvents(
      {
        url: `${baseURL}/${modelPath(request.model)}:streamGenerateContent?alt=sse`,
        dispatcher: agent,
        headers: streamHeaders,
        body,
        context,
        firstByteTimeoutMs: config.firstByteTimeoutMs,
        idleTimeoutMs: config.idleTimeoutMs,
        signal: options.signal,
      },
      new GoogleStreamReader(context),
    );
  }

  return {
    name: config.name,
    defaultModel: config.defaultModel,
    inputs: GOOGLE_INPUTS,
    stream,
    listModels: (signal) =>
      listGoogleModels(
        {
          baseURL,
          dispatcher: agent,
          headers: listHeaders,
          context: { provider: config.name, apiKey: config.apiKey },
          headersTimeoutMs: config.firstByteTimeoutMs,
        },
        signal,
      ),
    close: () => agent.close(),
  };
}
