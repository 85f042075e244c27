/**
 * The OpenAI-compatible provider: one adapter for OpenRouter, OpenAI, DeepSeek,
 * Groq, Together, vLLM, Ollama (`/v1`), llama.cpp server and any other server
 * that speaks OpenAI chat completions streaming
 * (https://platform.openai.com/docs/api-reference/chat-streaming), after vercel/ai
 * `createOpenAICompatible`. Providers differ only by {@link OpenAICompatibleConfig}.
 */
import { setImmediate as nextEventLoopTurn } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { ParleyError } from '../../errors.js';
import type { ChatRequest, Provider, StreamOptions, StreamPart } from '../types.js';
import { ChunkMapper } from './chunk-mapper.js';
import { validateChunk } from './chunk-schema.js';
import type { OpenAICompatibleConfig } from './config.js';
import {
  badResponseError,
  errorCode,
  firstByteTimeoutError,
  fromHttpStatus,
  idleTimeoutError,
  fromStreamError,
  fromTransportError,
  parseErrorDetails,
  streamCutOffError,
  type UpstreamCallContext,
} from './errors.js';
import { listModels } from './models.js';
import { ERROR_BODY_LIMIT_BYTES, readBodyText } from './read-body.js';
import { toUpstreamBody } from './request.js';
import { decodeSseData } from './sse-decoder.js';

export type { OpenAICompatibleConfig } from './config.js';
export { PRESETS, attributionHeaders } from './config.js';
export { decodeSseData } from './sse-decoder.js';

/** After `[DONE]`, at most this much more body is read to free the connection for reuse. */
const DRAIN_LIMIT_BYTES = 64 * 1024;
const DRAIN_TIMEOUT_MS = 1_000;

type ResponseBody = Dispatcher.ResponseData['body'];

/** Everything a stream call needs from its provider. */
interface ProviderContext {
  config: OpenAICompatibleConfig;
  agent: Agent;
  baseURL: string;
  headers: Record<string, string>;
}

/** Default headers, then the configured ones (names lower-cased so a config header replaces a default). */
function requestHeaders(config: OpenAICompatibleConfig, accept: string, jsonBody: boolean): Record<string, string> {
  const headers: Record<string, string> = jsonBody ? { accept, 'content-type': 'application/json' } : { accept };
  if (config.apiKey !== undefined && config.apiKey !== '') headers.authorization = `Bearer ${config.apiKey}`;
  for (const [name, value] of Object.entries(config.headers)) headers[name.toLowerCase()] = value;
  return headers;
}

/**
 * Reads the rest of a finished response so its connection returns to the pool.
 * Gives up after {@link DRAIN_TIMEOUT_MS}: a server that keeps the body open
 * past `[DONE]` loses its socket instead of stalling the stream's end.
 */
async function drainForReuse(body: ResponseBody, bytesRead: number): Promise<void> {
  try {
    await body.dump({ limit: bytesRead + DRAIN_LIMIT_BYTES, signal: AbortSignal.timeout(DRAIN_TIMEOUT_MS) });
  } catch {
    body.destroy();
    return;
  }
  // With pipelining 1 undici hands a finished socket back to the pool one event
  // loop turn later (client-h1 `setImmediate(client[kResume])`); waiting that turn
  // lets the caller's next request reuse it instead of opening a new connection.
  await nextEventLoopTurn();
}

/**
 * One streamed completion (see {@link Provider.stream}). Never throws: failures
 * become a final `error` part; a caller abort ends the stream without one.
 */
async function* streamChat(provider: ProviderContext, chatRequest: ChatRequest, options: StreamOptions): AsyncGenerator<StreamPart> {
  const { config } = provider;
  const callerSignal = options.signal;
  if (callerSignal.aborted) return;
  const context: UpstreamCallContext = { provider: config.name, model: chatRequest.model, apiKey: config.apiKey };
  // Aborted when the consumer leaves early (break / return) or the stream errs.
  const stopController = new AbortController();
  // Until the response headers, undici's `headersTimeout` bounds the wait: it
  // starts when the request is written to a connection, so time spent queued
  // for a free connection (PARLEY_UPSTREAM_MAX_CONNECTIONS) is not counted as
  // provider silence. Then one timer: the wait for the first body byte,
  // re-armed on every chunk as the idle limit between chunks.
  const timeoutController = new AbortController();
  const signal = AbortSignal.any([callerSignal, stopController.signal, timeoutController.signal]);
  let timer: NodeJS.Timeout | undefined;
  const mapper = new ChunkMapper(context);
  let body: ResponseBody | undefined;
  let bytesRead = 0;
  let sawDone = false;

  // Held-back text, then the last usage, then the error if any: error is always last.
  function* ending(error?: ParleyError): Generator<StreamPart> {
    yield* mapper.flush();
    if (mapper.usage !== undefined) yield { type: 'usage', usage: mapper.usage };
    if (error !== undefined) yield { type: 'error', error };
  }

  async function* countBytes(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      clearTimeout(timer);
      timer = setTimeout(() => timeoutController.abort(), config.idleTimeoutMs);
      bytesRead += chunk.byteLength;
      yield chunk;
    }
  }

  try {
    const response = await request(`${provider.baseURL}/chat/completions`, {
      method: 'POST',
      dispatcher: provider.agent,
      headers: provider.headers,
      body: JSON.stringify(toUpstreamBody(chatRequest)),
      headersTimeout: config.firstByteTimeoutMs,
      signal,
    });
    body = response.body;
    const contentType = String(response.headers['content-type'] ?? '').toLowerCase();

    if (response.statusCode < 200 || response.statusCode >= 300) {
      const { text } = await readBodyText(body, ERROR_BODY_LIMIT_BYTES);
      yield { type: 'error', error: fromHttpStatus(response.statusCode, response.headers, text, context) };
      return;
    }
    if (contentType.startsWith('application/json')) {
      // A 200 JSON answer is a server (or proxy) that ignored `stream: true` or
      // reports an error without an error status.
      const { text } = await readBodyText(body, ERROR_BODY_LIMIT_BYTES);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const details = parseErrorDetails(parsed);
      yield {
        type: 'error',
        error:
          details.message === undefined
            ? badResponseError(context, 'expected an event stream, got a JSON body')
            : fromStreamError(details.message, context),
      };
      return;
    }

    timer = setTimeout(() => timeoutController.abort(), config.firstByteTimeoutMs);
    // Not destroyed when we stop at [DONE], so the connection can be drained and reused.
    const bytes = countBytes(body.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array>);
    for await (const data of decodeSseData(bytes)) {
      if (data === '[DONE]') {
        sawDone = true;
        break;
      }
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch (error) {
        yield* ending(badResponseError(context, 'data is not JSON', error));
        return;
      }
      const validation = validateChunk(json);
      if (!validation.ok) {
        yield* ending(badResponseError(context, validation.reason));
        return;
      }
      for (const part of mapper.map(validation.chunk)) {
        yield part;
        if (part.type === 'error') return;
      }
    }

    if (!sawDone && !mapper.finished) {
      yield* ending(streamCutOffError(context, bytesRead > 0));
      return;
    }
    yield* mapper.flush();
    // [DONE] without any finish_reason is still a complete answer.
    if (!mapper.finished) yield { type: 'finish', finish_reason: 'stop' };
    yield* ending();
  } catch (error) {
    if (callerSignal.aborted) return;
    if (timeoutController.signal.aborted || errorCode(error) === 'UND_ERR_HEADERS_TIMEOUT') {
      yield* ending(
        bytesRead === 0 ? firstByteTimeoutError(context, config.firstByteTimeoutMs) : idleTimeoutError(context, config.idleTimeoutMs),
      );
    } else if (mapper.finished) {
      // The connection broke after finish_reason: the answer itself is complete.
      yield* ending();
    } else if (error instanceof ParleyError) {
      yield* ending(error);
    } else {
      yield* ending(fromTransportError(error, context, bytesRead > 0));
    }
  } finally {
    clearTimeout(timer);
    if (body !== undefined && !body.destroyed) {
      if ((sawDone || mapper.finished || body.readableEnded) && !callerSignal.aborted) {
        await drainForReuse(body, bytesRead);
      } else {
        stopController.abort();
        body.destroy();
      }
    }
  }
}

/**
 * Creates a provider for one OpenAI-compatible server.
 *
 * - `stream(request, {signal})`: `POST {baseURL}/chat/completions` with
 *   `stream: true` and `stream_options.include_usage`; yields reasoning, message,
 *   tool-call and finish parts as they arrive, then the last usage once. Never
 *   throws: HTTP errors, timeouts (`firstByteTimeoutMs` from sending the request
 *   to its response headers, and again to the first body byte),
 *   connection failures, malformed chunks and cut-off streams arrive as a final
 *   `error` part (codes in ./errors.ts). Aborting `signal` aborts the upstream
 *   request and ends the stream with no error part; leaving the `for await` early
 *   does the same.
 * - `listModels(signal?)`: `GET {baseURL}/models`; throws ParleyError.
 * - `close()`: closes the connection pool, waiting for calls in flight.
 *
 * Connections are pooled per provider (one undici `Agent`, HTTP/1.1 keep-alive),
 * so sequential streams reuse one TCP (and TLS) connection; at most
 * `maxConnections` are open at once, and calls beyond wait for a free one.
 */
export function createOpenAICompatibleProvider(config: OpenAICompatibleConfig): Provider {
  const connections = config.maxConnections === undefined || config.maxConnections === 0 ? null : config.maxConnections;
  const agent = new Agent({ keepAliveTimeout: 30_000, connections, pipelining: 1 });
  const baseURL = config.baseURL.replace(/\/+$/, '');
  const provider: ProviderContext = { config, agent, baseURL, headers: requestHeaders(config, 'text/event-stream', true) };
  const listHeaders = requestHeaders(config, 'application/json', false);
  return {
    name: config.name,
    defaultModel: config.defaultModel,
    stream: (chatRequest, options) => streamChat(provider, chatRequest, options),
    listModels: (signal) => listModels({ config, agent, baseURL, headers: listHeaders }, signal),
    close: () => agent.close(),
  };
}
