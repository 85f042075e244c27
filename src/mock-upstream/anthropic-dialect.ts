/**
 * The Anthropic Messages API (https://docs.anthropic.com/en/api/messages) as the
 * mock speaks it: `POST /v1/messages` (streamed as `event:` + `data:` events,
 * https://docs.anthropic.com/en/api/messages-streaming), `GET /v1/models`,
 * `x-api-key` keys, the required `anthropic-version` header and `max_tokens`
 * field, and `{"type": "error", "error": {type, message}}` bodies.
 */
import { mockScript } from '../providers/mock/script.js';
import type { ChatMessage, ChatRequest, Usage } from '../providers/types.js';
import { contentText, MODELS_CREATED, type CompletionIdentity, type JsonAnswer, type MockDialect, type StreamFrames } from './dialect.js';
import type { MockUpstreamOptions } from './options.js';

/** JSON text of Anthropic's error body. */
export function anthropicError(type: string, message: string): string {
  return JSON.stringify({ type: 'error', error: { type, message } });
}

/** What Anthropic answers for an HTTP status (https://docs.anthropic.com/en/api/errors). */
const STATUS_ERRORS: Record<number, [type: string, message: string]> = {
  400: ['invalid_request_error', 'Invalid request (injected by the mock upstream).'],
  401: ['authentication_error', 'invalid x-api-key'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'The requested resource could not be found.'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: ['rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit.'],
  500: ['api_error', 'Internal server error'],
  504: ['timeout_error', 'Request timed out'],
  529: ['overloaded_error', 'Overloaded'],
};

/** A signature for scripted thinking blocks: opaque to clients, stable for tests. */
export const MOCK_THINKING_SIGNATURE = 'bW9jay10aGlua2luZy1zaWduYXR1cmU=';

function event(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** Block text as the script reads it: text blocks and tool results (their content as text). */
function blockText(content: unknown): string | null {
  if (!Array.isArray(content)) return contentText(content);
  return content
    .map((block: unknown) => {
      if (typeof block !== 'object' || block === null) return '';
      const fields = block as Record<string, unknown>;
      if (fields.type === 'text' && typeof fields.text === 'string') return fields.text;
      if (fields.type === 'tool_result') return contentText(fields.content) ?? '';
      return '';
    })
    .join('');
}

function invalid(message: string): JsonAnswer {
  return { status: 400, body: anthropicError('invalid_request_error', message) };
}

function parseChat(body: unknown, _route: unknown, headers: Record<string, string | string[] | undefined>): ReturnType<MockDialect['parseChat']> {
  if (typeof headers['anthropic-version'] !== 'string') return invalid('anthropic-version: header is required');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalid('The request body must be a JSON object.');
  const fields = body as Record<string, unknown>;
  if (typeof fields.model !== 'string' || fields.model === '') return invalid('model: Field required');
  if (!Number.isInteger(fields.max_tokens) || (fields.max_tokens as number) < 1) return invalid('max_tokens: Field required');
  if (!Array.isArray(fields.messages)) return invalid('messages: Field required');
  const messages: ChatMessage[] = [];
  const system = blockText(fields.system);
  if (system !== null && system !== '') messages.push({ role: 'system', content: system });
  for (const [index, message] of (fields.messages as unknown[]).entries()) {
    if (typeof message !== 'object' || message === null || !('role' in message) || (message.role !== 'user' && message.role !== 'assistant')) {
      return invalid(`messages.${index}.role: Input should be 'user' or 'assistant'`);
    }
    messages.push({ role: message.role, content: 'content' in message ? blockText(message.content) : null });
  }
  return { request: { model: fields.model, messages }, stream: fields.stream === true, includeUsage: true };
}

function usageOf(usage: Usage): { input_tokens: number; output_tokens: number } {
  return { input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens };
}

function scriptedFrames(request: ChatRequest, identity: CompletionIdentity, options: MockUpstreamOptions): StreamFrames {
  const { reasoning, content, usage } = mockScript(request, options);
  const message = { id: identity.id, type: 'message', role: 'assistant', model: identity.model, content: [], stop_reason: null, stop_sequence: null };
  const frames = [event('message_start', { message: { ...message, usage: { input_tokens: usage.prompt_tokens, output_tokens: 1 } } })];
  let index = 0;
  if (reasoning.length > 0) {
    frames.push(event('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } }));
    for (const text of reasoning) frames.push(event('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: text } }));
    frames.push(event('content_block_delta', { index, delta: { type: 'signature_delta', signature: MOCK_THINKING_SIGNATURE } }));
    frames.push(event('content_block_stop', { index }));
    index += 1;
  }
  frames.push(event('content_block_start', { index, content_block: { type: 'text', text: '' } }));
  frames.push(event('ping', {}));
  for (const text of content) frames.push(event('content_block_delta', { index, delta: { type: 'text_delta', text } }));
  frames.push(event('content_block_stop', { index }));
  frames.push(event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: usageOf(usage) }));
  frames.push(event('message_stop', {}));
  return { frames, terminator: '' };
}

function scriptedCompletion(request: ChatRequest, identity: CompletionIdentity, options: MockUpstreamOptions): string {
  const { reasoning, content, usage } = mockScript(request, options);
  const blocks: Record<string, unknown>[] = [];
  if (reasoning.length > 0) blocks.push({ type: 'thinking', thinking: reasoning.join(''), signature: MOCK_THINKING_SIGNATURE });
  blocks.push({ type: 'text', text: content.join('') });
  return JSON.stringify({
    id: identity.id,
    type: 'message',
    role: 'assistant',
    model: identity.model,
    content: blocks,
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: usageOf(usage),
  });
}

/** The Anthropic dialect. */
export const anthropicDialect: MockDialect = {
  basePath: '',
  idPrefix: 'msg_mock_',
  errorFrame: `event: error\ndata: ${anthropicError('overloaded_error', 'Overloaded')}\n\n`,
  isApiPath: (path) => path.startsWith('/v1/'),
  modelsRoute: (method, path) => method === 'GET' && path === '/v1/models',
  chatRoute: (method, path) => (method === 'POST' && path === '/v1/messages' ? {} : undefined),
  authorized: (headers, _query, apiKey) => headers['x-api-key'] === apiKey,
  unauthorized: () => ({ status: 401, body: anthropicError('authentication_error', 'invalid x-api-key') }),
  notFound: (route) => ({ status: 404, body: anthropicError('not_found_error', `Not found: ${route}`) }),
  invalidJson: () => invalid('There was an issue with your request body: it is not valid JSON.'),
  parseChat,
  unknownModel: (model) => ({ status: 404, body: anthropicError('not_found_error', `model: ${model}`) }),
  statusFault(status, retryAfterSeconds): JsonAnswer {
    const [type, message] = STATUS_ERRORS[status] ?? [status >= 500 ? 'api_error' : 'invalid_request_error', `Mock upstream failure with status ${status}.`];
    return { status, body: anthropicError(type, message), ...(status === 429 ? { headers: { 'retry-after': String(retryAfterSeconds) } } : {}) };
  },
  errorEventAnswer: () => ({ status: 529, body: anthropicError('overloaded_error', 'Overloaded') }),
  modelsBody: (models) =>
    JSON.stringify({
      data: models.map((id) => ({ type: 'model', id, display_name: id, created_at: new Date(MODELS_CREATED * 1000).toISOString() })),
      has_more: false,
      first_id: models[0] ?? null,
      last_id: models.at(-1) ?? null,
    }),
  scriptedFrames,
  scriptedCompletion,
};
