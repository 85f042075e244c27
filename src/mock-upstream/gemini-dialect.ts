/**
 * The Gemini API (https://ai.google.dev/api/generate-content) as the mock speaks
 * it: `POST /v1beta/models/{model}:streamGenerateContent?alt=sse` (each event a
 * `GenerateContentResponse`, no end marker) and `:generateContent`,
 * `GET /v1beta/models`, `x-goog-api-key` (or `?key=`) keys, and Google's
 * `{"error": {code, message, status, details}}` bodies.
 */
import { mockScript } from '../providers/mock/script.js';
import type { ChatMessage, ChatRequest, Usage } from '../providers/types.js';
import { contentText, type CompletionIdentity, type JsonAnswer, type MockDialect, type StreamFrames } from './dialect.js';
import type { MockUpstreamOptions } from './options.js';

/** JSON text of Google's error body. */
export function googleError(code: number, status: string, message: string, details: unknown[] = []): string {
  return JSON.stringify({ error: { code, message, status, ...(details.length === 0 ? {} : { details }) } });
}

/** What the Gemini API answers for an HTTP status (https://ai.google.dev/gemini-api/docs/troubleshooting). */
const STATUS_ERRORS: Record<number, [status: string, message: string]> = {
  400: ['INVALID_ARGUMENT', 'Request contains an invalid argument (injected by the mock upstream).'],
  403: ['PERMISSION_DENIED', 'The caller does not have permission.'],
  404: ['NOT_FOUND', 'Requested entity was not found.'],
  429: ['RESOURCE_EXHAUSTED', 'You exceeded your current quota, please check your plan and billing details.'],
  500: ['INTERNAL', 'An internal error has occurred.'],
  503: ['UNAVAILABLE', 'The model is overloaded. Please try again later.'],
  504: ['DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.'],
};

/** A thought signature for scripted answers: opaque to clients, stable for tests. */
export const MOCK_THOUGHT_SIGNATURE = 'bW9jay10aG91Z2h0LXNpZ25hdHVyZQ==';

const CHAT_PATH = /^\/v1beta\/models\/([^/:]+):(streamGenerateContent|generateContent)$/;
const OVERLOADED = googleError(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');

function invalid(message: string): JsonAnswer {
  return { status: 400, body: googleError(400, 'INVALID_ARGUMENT', message) };
}

function partsText(parts: unknown): string | null {
  if (!Array.isArray(parts)) return null;
  return parts
    .map((part: unknown) => {
      if (typeof part !== 'object' || part === null) return '';
      const fields = part as Record<string, unknown>;
      if (typeof fields.text === 'string' && fields.thought !== true) return fields.text;
      const response = fields.functionResponse;
      if (typeof response === 'object' && response !== null) return JSON.stringify((response as Record<string, unknown>).response ?? {});
      return '';
    })
    .join('');
}

function parseChat(body: unknown, route: { stream?: boolean; model?: string }): ReturnType<MockDialect['parseChat']> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalid('Invalid JSON payload received. Expected an object.');
  const fields = body as Record<string, unknown>;
  if (!Array.isArray(fields.contents)) return invalid('* GenerateContentRequest.contents: contents is not specified');
  const messages: ChatMessage[] = [];
  const system = typeof fields.systemInstruction === 'object' && fields.systemInstruction !== null ? partsText((fields.systemInstruction as Record<string, unknown>).parts) : null;
  if (system !== null && system !== '') messages.push({ role: 'system', content: system });
  for (const [index, content] of (fields.contents as unknown[]).entries()) {
    if (typeof content !== 'object' || content === null) return invalid(`* GenerateContentRequest.contents[${index}]: must be an object`);
    const { role, parts } = content as Record<string, unknown>;
    if (role !== undefined && role !== 'user' && role !== 'model') {
      return invalid(`* GenerateContentRequest.contents[${index}].role: Please use a valid role: user, model.`);
    }
    messages.push({ role: role === 'model' ? 'assistant' : 'user', content: partsText(parts) ?? contentText(parts) });
  }
  return { request: { model: route.model ?? '', messages }, stream: route.stream === true, includeUsage: true };
}

function usageMetadata(usage: Usage): Record<string, number> {
  const answer = usage.completion_tokens - usage.reasoning_tokens;
  return {
    promptTokenCount: usage.prompt_tokens,
    candidatesTokenCount: answer,
    ...(usage.reasoning_tokens > 0 ? { thoughtsTokenCount: usage.reasoning_tokens } : {}),
    totalTokenCount: usage.prompt_tokens + usage.completion_tokens,
  };
}

/** JSON text of one `GenerateContentResponse`; `finishReason` and usage only on the last. */
function response(identity: CompletionIdentity, parts: Record<string, unknown>[], ending?: { finishReason: string; usage: Usage }): string {
  return JSON.stringify({
    candidates: [{ content: { parts, role: 'model' }, ...(ending === undefined ? {} : { finishReason: ending.finishReason }), index: 0 }],
    ...(ending === undefined ? {} : { usageMetadata: usageMetadata(ending.usage) }),
    modelVersion: identity.model,
    responseId: identity.id,
  });
}

function scriptedFrames(request: ChatRequest, identity: CompletionIdentity, options: MockUpstreamOptions): StreamFrames {
  const { reasoning, content, usage } = mockScript(request, options);
  const frames: string[] = [];
  for (const text of reasoning) frames.push(`data: ${response(identity, [{ text, thought: true }])}\n\n`);
  for (const text of content) frames.push(`data: ${response(identity, [{ text }])}\n\n`);
  const closing = reasoning.length > 0 ? [{ text: '', thoughtSignature: MOCK_THOUGHT_SIGNATURE }] : [{ text: '' }];
  frames.push(`data: ${response(identity, closing, { finishReason: 'STOP', usage })}\n\n`);
  return { frames, terminator: '' };
}

function scriptedCompletion(request: ChatRequest, identity: CompletionIdentity, options: MockUpstreamOptions): string {
  const { reasoning, content, usage } = mockScript(request, options);
  const parts: Record<string, unknown>[] = [];
  if (reasoning.length > 0) parts.push({ text: reasoning.join(''), thought: true });
  parts.push({ text: content.join(''), ...(reasoning.length > 0 ? { thoughtSignature: MOCK_THOUGHT_SIGNATURE } : {}) });
  return response(identity, parts, { finishReason: 'STOP', usage });
}

/** The Gemini dialect. */
export const geminiDialect: MockDialect = {
  basePath: '/v1beta',
  idPrefix: 'mock-response-',
  errorFrame: `data: ${OVERLOADED}\n\n`,
  isApiPath: (path) => path.startsWith('/v1beta/'),
  modelsRoute: (method, path) => method === 'GET' && path === '/v1beta/models',
  chatRoute(method, path, query) {
    const match = method === 'POST' ? CHAT_PATH.exec(path) : null;
    if (match === null || match[1] === undefined) return undefined;
    const stream = match[2] === 'streamGenerateContent';
    // Without alt=sse Google streams one JSON array; the mock speaks SSE only, as Parley asks.
    if (stream && query.get('alt') !== 'sse') return undefined;
    return { stream, model: decodeURIComponent(match[1]) };
  },
  authorized: (headers, query, apiKey) => headers['x-goog-api-key'] === apiKey || query.get('key') === apiKey,
  unauthorized: (headers, query) =>
    headers['x-goog-api-key'] === undefined && query.get('key') === null
      ? { status: 403, body: googleError(403, 'PERMISSION_DENIED', "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.") }
      : {
          status: 400,
          body: googleError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
            { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' },
          ]),
        },
  notFound: (route) => ({ status: 404, body: googleError(404, 'NOT_FOUND', `Unknown route ${route}.`) }),
  invalidJson: () => invalid('Invalid JSON payload received.'),
  parseChat,
  unknownModel: (model) => ({
    status: 404,
    body: googleError(404, 'NOT_FOUND', `models/${model} is not found for API version v1beta, or is not supported for generateContent.`),
  }),
  statusFault(status, retryAfterSeconds): JsonAnswer {
    const [code, message] = STATUS_ERRORS[status] ?? [status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT', `Mock upstream failure with status ${status}.`];
    const details = status === 429 ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterSeconds}s` }] : [];
    return { status, body: googleError(status, code, message, details) };
  },
  errorEventAnswer: () => ({ status: 503, body: OVERLOADED }),
  modelsBody: (models) =>
    JSON.stringify({
      models: models.map((id) => ({
        name: `models/${id}`,
        displayName: id,
        supportedGenerationMethods: ['generateContent', 'countTokens'],
        inputTokenLimit: 1_048_576,
        outputTokenLimit: 65_536,
      })),
    }),
  scriptedFrames,
  scriptedCompletion,
};
