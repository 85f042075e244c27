/**
 * The OpenAI chat completions API (https://platform.openai.com/docs/api-reference/chat)
 * as the mock speaks it: `/v1/chat/completions` (and `/v1/messages`, so an
 * Anthropic client reaches an `anthropic-*` replay at the path it calls),
 * `/v1/models`, Bearer or `x-api-key` keys, OpenAI error bodies.
 */
import type { MockDialect, JsonAnswer } from './dialect.js';
import { MODELS_CREATED } from './dialect.js';
import { scriptedCompletion, scriptedFrames, toChatRequest } from './scripted.js';

/** JSON text of OpenAI's error body `{"error": {message, type, param, code}}`. */
export function openAIError(message: string, type: string, code: string | null, param: string | null = null): string {
  return JSON.stringify({ error: { message, type, param, code } });
}

/** What a provider like OpenAI answers for an HTTP status, for the `failStatus` fault. */
const STATUS_ERRORS: Record<number, [message: string, type: string, code: string]> = {
  400: ['Invalid request (injected by the mock upstream).', 'invalid_request_error', 'invalid_request'],
  401: ['Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'],
  403: ['You are not allowed to sample from this model.', 'invalid_request_error', 'permission_denied'],
  404: ['The model does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found'],
  408: ['Request timed out.', 'timeout_error', 'timeout'],
  429: ['Rate limit reached for requests. Please try again later.', 'requests', 'rate_limit_exceeded'],
  500: ['The server had an error while processing your request.', 'server_error', 'internal_error'],
  502: ['Bad gateway.', 'server_error', 'bad_gateway'],
  503: ['The engine is currently overloaded, please try again later.', 'server_error', 'service_unavailable'],
  504: ['Gateway timeout.', 'server_error', 'gateway_timeout'],
};

const OVERLOADED = openAIError('The server is overloaded (injected by the mock upstream).', 'server_error', 'overloaded');

/** The OpenAI dialect. */
export const openAIDialect: MockDialect = {
  basePath: '/v1',
  idPrefix: 'chatcmpl-mock-',
  errorFrame: `data: ${OVERLOADED}\n\n`,
  isApiPath: (path) => path.startsWith('/v1/'),
  modelsRoute: (method, path) => method === 'GET' && path === '/v1/models',
  chatRoute: (method, path) => (method === 'POST' && (path === '/v1/chat/completions' || path === '/v1/messages') ? {} : undefined),
  authorized: (headers, _query, apiKey) => headers.authorization === `Bearer ${apiKey}` || headers['x-api-key'] === apiKey,
  unauthorized: (headers) => ({
    status: 401,
    body: openAIError(headers.authorization ? 'Incorrect API key provided.' : "You didn't provide an API key.", 'invalid_request_error', 'invalid_api_key'),
  }),
  notFound: (route) => ({ status: 404, body: openAIError(`Unknown route ${route}.`, 'invalid_request_error', 'not_found') }),
  invalidJson: () => ({ status: 400, body: openAIError('We could not parse the JSON body of your request.', 'invalid_request_error', 'invalid_json') }),
  parseChat(body): ReturnType<MockDialect['parseChat']> {
    const chat = toChatRequest(body);
    if ('param' in chat) {
      const code = chat.message.startsWith('Missing') ? 'missing_required_parameter' : 'invalid_value';
      return { status: 400, body: openAIError(chat.message, 'invalid_request_error', code, chat.param || null) };
    }
    const fields = body as { stream?: unknown; stream_options?: { include_usage?: unknown } | null };
    return { request: chat, stream: fields.stream === true, includeUsage: fields.stream_options?.include_usage === true };
  },
  unknownModel: (model) => ({ status: 404, body: openAIError(`The model \`${model}\` does not exist`, 'invalid_request_error', 'model_not_found') }),
  statusFault(status, retryAfterSeconds): JsonAnswer {
    const [message, type, code] = STATUS_ERRORS[status] ?? [
      `Mock upstream failure with status ${status}.`,
      status >= 500 ? 'server_error' : 'invalid_request_error',
      'mock_failure',
    ];
    return { status, body: openAIError(message, type, code), ...(status === 429 ? { headers: { 'Retry-After': String(retryAfterSeconds) } } : {}) };
  },
  errorEventAnswer: () => ({ status: 503, body: OVERLOADED }),
  modelsBody: (models) =>
    JSON.stringify({ object: 'list', data: models.map((id) => ({ id, object: 'model', created: MODELS_CREATED, owned_by: 'parley-mock' })) }),
  scriptedFrames,
  scriptedCompletion,
};
