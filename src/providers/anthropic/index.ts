/**
 * The native Anthropic Messages provider (https://docs.anthropic.com/en/api/messages),
 * after vercel/ai `@ai-sdk/anthropic`: streams answers, extended thinking and
 * tool calls from `POST /v1/messages`, and lists `GET /v1/models`. Anthropic's
 * OpenAI-compatible layer drops thinking content and is documented as not for
 * production, hence an adapter of its own.
 */
import { createHttpProvider } from '../provider-utils/http-provider.js';
import { StreamedWholeAnswer } from '../provider-utils/whole-answer.js';
import type { Provider } from '../types.js';
import { ANTHROPIC_VERSION, apiRoot, type AnthropicConfig } from './config.js';
import { fromHttpError } from './errors.js';
import { modelPageUrl, toModelPage } from './models.js';
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
 *   With `wholeAnswer` it POSTs without `stream` instead and reads the one
 *   `message` as the events a stream of it would have carried (same parts,
 *   metadata and errors; the headers may take `firstByteTimeoutMs` + `idleTimeoutMs`).
 * - `listModels(signal?)`: `GET {root}/v1/models`, every page; throws ParleyError.
 * - `close()`: closes the connection pool.
 */
export function createAnthropicProvider(config: AnthropicConfig): Provider {
  const root = apiRoot(config.baseURL);
  return createHttpProvider({
    config,
    inputs: ANTHROPIC_INPUTS,
    auth: { 'x-api-key': config.apiKey, 'anthropic-version': ANTHROPIC_VERSION },
    streamUrl: () => `${root}/v1/messages`,
    toBody: (request, whole) => toAnthropicBody(request, config, whole),
    reader: (context) => new AnthropicStreamReader(context),
    wholeUrl: () => `${root}/v1/messages`,
    wholeReader(context) {
      const reader = new AnthropicStreamReader(context);
      return new StreamedWholeAnswer(reader, context, (bodyText) => reader.readMessage(bodyText));
    },
    modelPageUrl: (afterId) => modelPageUrl(root, afterId),
    toModelPage,
    httpError: fromHttpError,
  });
}
