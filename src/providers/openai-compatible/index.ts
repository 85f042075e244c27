/**
 * The OpenAI-compatible provider: one adapter for OpenRouter, OpenAI, DeepSeek,
 * Groq, Together, vLLM, Ollama (`/v1`), llama.cpp server and any other server
 * that speaks OpenAI chat completions streaming
 * (https://platform.openai.com/docs/api-reference/chat-streaming), after vercel/ai
 * `createOpenAICompatible`. Providers differ only by {@link OpenAICompatibleConfig}.
 */
import type { Provider } from '../types.js';
import { createConnectionPool, mergeHeaders, streamEvents, type EventStreamCall } from '../provider-utils/event-stream.js';
import { postWholeAnswer } from '../provider-utils/whole-answer.js';
import type { UpstreamCallContext } from '../provider-utils/upstream-errors.js';
import type { OpenAICompatibleConfig } from './config.js';
import { OPENAI_INPUTS } from './parts.js';
import { listModels } from './models.js';
import { toUpstreamBody } from './request.js';
import { OpenAIStreamReader } from './stream-reader.js';
import { OpenAICompletionReader } from './completion-reader.js';

export type { OpenAICompatibleConfig } from './config.js';
export { PRESETS, attributionHeaders } from './config.js';

/** Default headers, then the configured ones (a configured header replaces a default of the same name). */
function requestHeaders(config: OpenAICompatibleConfig, accept: string, jsonBody: boolean): Record<string, string> {
  const defaults: Record<string, string> = jsonBody ? { accept, 'content-type': 'application/json' } : { accept };
  if (config.apiKey !== undefined && config.apiKey !== '') defaults.authorization = `Bearer ${config.apiKey}`;
  return mergeHeaders(defaults, config.headers);
}

/**
 * Creates a provider for one OpenAI-compatible server.
 *
 * - `stream(request, {signal})`: `POST {baseURL}/chat/completions` with
 *   `stream: true` and `stream_options.include_usage`; yields reasoning, message,
 *   tool-call and finish parts as they arrive, then the last usage once. Never
 *   throws: HTTP errors, timeouts (`firstByteTimeoutMs` to the first body byte),
 *   connection failures, malformed chunks and cut-off streams arrive as a final
 *   `error` part (codes in ./errors.ts). Aborting `signal` aborts the upstream
 *   request and ends the stream with no error part; leaving the `for await` early
 *   does the same. With `wholeAnswer` it POSTs `stream: false` instead, reads
 *   the one JSON `chat.completion` and yields the same parts at once; errors
 *   map the same way, and the response may take `firstByteTimeoutMs` +
 *   `idleTimeoutMs` (provider-utils/whole-answer.ts).
 * - `listModels(signal?)`: `GET {baseURL}/models`; throws ParleyError.
 * - `close()`: closes the connection pool, waiting for calls in flight.
 *
 * Connections are pooled per provider (one undici `Agent`, HTTP/1.1 keep-alive),
 * so sequential streams reuse one TCP (and TLS) connection.
 */
export function createOpenAICompatibleProvider(config: OpenAICompatibleConfig): Provider {
  const agent = createConnectionPool(config.maxConnections);
  const baseURL = config.baseURL.replace(/\/+$/, '');
  // Built once: every open stream's call holds its URL.
  const completionsUrl = `${baseURL}/chat/completions`;
  const streamHeaders = requestHeaders(config, 'text/event-stream', true);
  const wholeHeaders = requestHeaders(config, 'application/json', true);
  const listHeaders = requestHeaders(config, 'application/json', false);
  return {
    name: config.name,
    defaultModel: config.defaultModel,
    inputs: config.inputs ?? OPENAI_INPUTS,
    stream(chatRequest, options) {
      const context: UpstreamCallContext = { provider: config.name, model: chatRequest.model, apiKey: config.apiKey };
      const whole = options.wholeAnswer === true;
      const call: EventStreamCall = {
        url: completionsUrl,
        dispatcher: agent,
        headers: whole ? wholeHeaders : streamHeaders,
        body: Buffer.from(JSON.stringify(toUpstreamBody(chatRequest, whole))),
        context,
        firstByteTimeoutMs: config.firstByteTimeoutMs,
        idleTimeoutMs: config.idleTimeoutMs,
        signal: options.signal,
      };
      return whole ? postWholeAnswer(call, new OpenAICompletionReader(context)) : streamEvents(call, new OpenAIStreamReader(context));
    },
    listModels: (signal) => listModels({ config, dispatcher: agent, baseURL, headers: listHeaders }, signal),
    close: () => agent.close(),
  };
}
