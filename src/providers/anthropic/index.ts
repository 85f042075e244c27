/**
 * The native Anthropic Messages provider (https://docs.anthropic.com/en/api/messages),
 * after vercel/ai `@ai-sdk/anthropic`: streams answers, extended thinking and
 * tool calls from `POST /v1/messages`, and lists `GET /v1/models`. Anthropic's
 * OpenAI-compatible layer drops thinking content and is documented as not for
 * production, hence an adapter of its own.
 */
import { ParleyError } from '../../errors.js';
import { createConnectionPool, mergeHeaders, streamEvents } from '../provider-utils/event-stream.js';
import type { UpstreamCallContext } from '../provider-utils/upstream-errors.js';
import type { ChatRequest, Provider, StreamOptions, StreamPart } from '../types.js';
import { ANTHROPIC_VERSION, apiRoot, type AnthropicConfig } from './config.js';
import { listAnthropicModels } from './models.js';
import { ANTHROPIC_INPUTS } from './parts.js';
import { toAnthropicBody } from './request.js';
import { AnthropicStreamReader } from './stream-reader.js';

export type { AnthropicConfig } from './config.js';

/**
 * Creates the Anthropic provider.
 *
 * - `stream(request, {signal})`: `POST {root}/v1/messages` with `stream: true`;
 *   yields reasoning (thinking), message, tool-call and finish parts as they
 *   arrive, then usage once. The finish part carries the thinking blocks as
 *   provider metadata, which later turns send back. Never throws: a request that
 *   cannot be mapped, HTTP errors, `error` events, refusals, timeouts and
 *   cut-off streams arrive as a final `error` part (./errors.ts).
 * - `listModels(signal?)`: `GET {root}/v1/models`, every page; throws ParleyError.
 * - `close()`: closes the connection pool.
 */
export function createAnthropicProvider(config: AnthropicConfig): Provider {
  const agent = createConnectionPool(config.maxConnections);
  const root = apiRoot(config.baseURL);
  const auth = { 'x-api-key': config.apiKey, 'anthropic-version': ANTHROPIC_VERSION };
  const streamHeaders = mergeHeaders({ accept: 'text/event-stream', 'content-type': 'application/json', ...auth }, config.headers);
  const listHeaders = mergeHeaders({ accept: 'application/json', ...auth }, config.headers);

  async function* stream(request: ChatRequest, options: StreamOptions): AsyncGenerator<StreamPart> {
    const context: UpstreamCallContext = { provider: config.name, model: request.model, apiKey: config.apiKey };
    let body: string;
    try {
      body = JSON.stringify(toAnthropicBody(request, config));
    } catch (error) {
      if (!(error instanceof ParleyError)) throw error;
      yield { type: 'error', error };
      return;
    }
    yield* streamEvents(
      {
        url: `${root}/v1/messages`,
        dispatcher: agent,
        headers: streamHeaders,
        body,
        context,
        firstByteTimeoutMs: config.firstByteTimeoutMs,
        idleTimeoutMs: config.idleTimeoutMs,
        signal: options.signal,
      },
      new AnthropicStreamReader(context),
    );
  }

  return {
    name: config.name,
    defaultModel: config.defaultModel,
    inputs: ANTHROPIC_INPUTS,
    stream,
    listModels: (signal) =>
      listAnthropicModels(
        {
          root,
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
