/**
 * The native Google Gemini provider (Gemini API, https://ai.google.dev/api/generate-content),
 * after vercel/ai `@ai-sdk/google`: streams answers, thought summaries and
 * function calls from `models/{model}:streamGenerateContent?alt=sse`, and lists
 * `GET models`.
 */
import { createHttpProvider } from '../provider-utils/http-provider.js';
import { StreamedWholeAnswer } from '../provider-utils/whole-answer.js';
import type { Provider } from '../types.js';
import type { GoogleConfig } from './config.js';
import { fromHttpError } from './errors.js';
import { modelPageUrl, toModelPage } from './models.js';
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
 *   With `wholeAnswer` it POSTs `:generateContent` instead, whose one
 *   `GenerateContentResponse` is read as a stream of that one chunk (same parts,
 *   errors and filters; the headers may take `firstByteTimeoutMs` + `idleTimeoutMs`).
 * - `listModels(signal?)`: `GET {baseURL}/models`, every page; throws ParleyError.
 * - `close()`: closes the connection pool.
 */
export function createGoogleProvider(config: GoogleConfig): Provider {
  const baseURL = config.baseURL.replace(/\/+$/, '');
  return createHttpProvider({
    config,
    inputs: GOOGLE_INPUTS,
    auth: { 'x-goog-api-key': config.apiKey },
    streamUrl: (request) => `${baseURL}/${modelPath(request.model)}:streamGenerateContent?alt=sse`,
    toBody: (request) => toGoogleBody(request, config),
    reader: (context) => new GoogleStreamReader(context),
    wholeUrl: (request) => `${baseURL}/${modelPath(request.model)}:generateContent`,
    wholeReader(context) {
      const reader = new GoogleStreamReader(context);
      return new StreamedWholeAnswer(reader, context, (bodyText) => reader.readResponse(bodyText));
    },
    modelPageUrl: (pageToken) => modelPageUrl(baseURL, pageToken),
    toModelPage,
    httpError: fromHttpError,
  });
}
