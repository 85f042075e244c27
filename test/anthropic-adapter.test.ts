/**
 * The Anthropic adapter's request, stream-chunk and error mapping in detail,
 * against an in-process mock upstream in Anthropic mode on loopback (the
 * end-to-end path through Parley is in native-providers.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { ParleyError } from '../src/errors.js';
import { createAnthropicProvider, type AnthropicConfig } from '../src/providers/anthropic/index.js';
import { toAnthropicBody } from '../src/providers/anthropic/request.js';
import { AnthropicStreamReader } from '../src/providers/anthropic/stream-reader.js';
import { fromAnthropicError } from '../src/providers/anthropic/errors.js';
import type { ChatRequest, Provider, StreamPart } from '../src/providers/types.js';
import { startMockUpstream, type MockUpstream } from '../src/mock-upstream/server.js';
import { MOCK_THINKING_SIGNATURE } from '../src/mock-upstream/anthropic-dialect.js';

const CONFIG: AnthropicConfig = {
  name: 'anthropic',
  baseURL: 'http://127.0.0.1:1',
  apiKey: 'sk-ant-unit-0123456789',
  headers: {},
  defaultModel: 'claude-test',
  maxTokens: 1024,
  thinkingBudgetTokens: 0,
  firstByteTimeoutMs: 5_000,
  idleTimeoutMs: 5_000,
};

const context = { provider: 'anthropic', model: 'claude-test', apiKey: CONFIG.apiKey };

async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const collected: StreamPart[] = [];
  for await (const part of parts) collected.push(part);
  return collected;
}

/** Feeds events (as JSON objects) to a fresh reader, then completes it unless it failed. */
function read(events: object[]): StreamPart[] {
  const reader = new AnthropicStreamReader(context);
  const parts: StreamPart[] = [];
  for (const event of events) {
    parts.push(...reader.read(JSON.stringify(event)));
    if (parts.at(-1)?.type === 'error') return parts;
  }
  return [...parts, ...reader.complete()];
}

const start = { type: 'message_start', message: { id: 'msg_1', model: 'claude-test', usage: { input_tokens: 10, cache_creation_input_tokens: 5, cache_read_input_tokens: 20, output_tokens: 1 } } };

describe('Anthropic request mapping', () => {
  const request = (overrides: Partial<ChatRequest>): ChatRequest => ({ model: 'claude-test', messages: [{ role: 'user', content: 'Hi' }], ...overrides });

  test('max_tokens comes from the request, else the configured default; stop becomes stop_sequences; user becomes metadata', () => {
    const body = toAnthropicBody(request({ stop: 'END', user: 'user-7', seed: 3, presence_penalty: 1 }), CONFIG);
    assert.equal(body.max_tokens, 1024);
    assert.deepEqual(body.stop_sequences, ['END']);
    assert.deepEqual(body.metadata, { user_id: 'user-7' });
    assert.equal('seed' in body, false);
    assert.equal(toAnthropicBody(request({ max_tokens: 77 }), CONFIG).max_tokens, 77);
    const sampling = toAnthropicBody(request({ temperature: 0.3, top_p: 0.8 }), CONFIG);
    assert.deepEqual([sampling.temperature, sampling.top_p], [0.3, undefined], 'current models refuse temperature and top_p together');
    assert.equal(toAnthropicBody(request({ top_p: 0.8 }), CONFIG).top_p, 0.8);
  });

  test('the configured thinking budget applies when the request names no effort; effort none turns it off', () => {
    const config = { ...CONFIG, thinkingBudgetTokens: 2048 };
    assert.deepEqual(toAnthropicBody(request({}), config).thinking, { type: 'enabled', budget_tokens: 2048 });
    assert.equal(toAnthropicBody(request({}), config).max_tokens, 1024 + 2048);
    const off = toAnthropicBody(request({ reasoning_effort: 'none', temperature: 0.2 }), config);
    assert.equal(off.thinking, undefined);
    assert.equal(off.temperature, 0.2);
  });

  test('a forced tool or a tool turn without its thinking block goes without thinking', () => {
    const tools = [{ type: 'function' as const, name: 'lookup', inputSchema: { type: 'object' } }];
    const forced = toAnthropicBody(request({ reasoning_effort: 'high', tools, tool_choice: { type: 'required' } }), CONFIG);
    assert.equal(forced.thinking, undefined);
    assert.deepEqual(forced.tool_choice, { type: 'any' });
    const unsignedToolTurn = toAnthropicBody(
      request({
        reasoning_effort: 'high',
        tools,
        messages: [
          { role: 'user', content: 'Look it up' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'lookup', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'toolu_1', content: 'found' },
        ],
      }),
      CONFIG,
    );
    assert.equal(unsignedToolTurn.thinking, undefined);
  });

  test('stored thinking blocks go back first, in order; unsigned blocks and other providers\' metadata are left out', () => {
    const body = toAnthropicBody(
      request({
        reasoning_effort: 'low',
        messages: [
          { role: 'user', content: 'Q' },
          {
            role: 'assistant',
            content: 'A',
            tool_calls: [{ id: 'toolu_9', type: 'function', function: { name: 'lookup', arguments: '{"q":1}' } }],
            providerMetadata: {
              anthropic: {
                thinking: [
                  { type: 'thinking', thinking: 'first', signature: 'sig-1' },
                  { type: 'thinking', thinking: 'unsigned', signature: '' },
                  { type: 'redacted_thinking', data: 'opaque' },
                ],
              },
              google: { thoughtSignatures: { text: 'not for anthropic', toolCalls: {} } },
            },
          },
          { role: 'tool', tool_call_id: 'toolu_9', content: 'result' },
          { role: 'user', content: 'Thanks' },
        ],
      }),
      CONFIG,
    );
    assert.deepEqual(body.messages[1]!.content, [
      { type: 'thinking', thinking: 'first', signature: 'sig-1' },
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'text', text: 'A' },
      { type: 'tool_use', id: 'toolu_9', name: 'lookup', input: { q: 1 } },
    ]);
    // The tool result opens the user turn, the text follows it.
    assert.deepEqual(body.messages[2], {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_9', content: 'result' },
        { type: 'text', text: 'Thanks' },
      ],
    });
    assert.deepEqual(body.thinking, { type: 'enabled', budget_tokens: 2048 });
  });

  test('tool-call arguments that are not a JSON object are a validation error naming the field', () => {
    assert.throws(
      () =>
        toAnthropicBody(
          request({ messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '[1]' } }] }] }),
          CONFIG,
        ),
      (error: ParleyError) => error.code === 'validation_failed' && error.param === 'messages.1.tool_calls.0.function.arguments',
    );
  });
});

describe('Anthropic stream mapping', () => {
  test('usage counts cache writes and reads into prompt_tokens, cache reads as cached_tokens', () => {
    const parts = read([start, { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 42 } }, { type: 'message_stop' }]);
    assert.deepEqual(parts, [
      { type: 'finish', finish_reason: 'stop' },
      { type: 'usage', usage: { prompt_tokens: 35, completion_tokens: 42, reasoning_tokens: 0, cached_tokens: 20 } },
    ]);
  });

  test('thinking and redacted thinking blocks end up, in order, in the finish part\'s provider metadata', () => {
    const parts = read([
      start,
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Let me see.' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'c2ln' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'redacted_thinking', data: 'secret' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'content_block_start', index: 2, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 2, delta: { type: 'text_delta', text: 'Done.' } },
      { type: 'content_block_stop', index: 2 },
      { type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 9 } },
      { type: 'message_stop' },
    ]);
    assert.deepEqual(parts.slice(0, 3), [
      { type: 'reasoning.delta', text: 'Let me see.' },
      { type: 'message.delta', text: 'Done.' },
      {
        type: 'finish',
        finish_reason: 'length',
        providerMetadata: { anthropic: { thinking: [{ type: 'thinking', thinking: 'Let me see.', signature: 'c2ln' }, { type: 'redacted_thinking', data: 'secret' }] } },
      },
    ]);
  });

  test('a rate_limit_error event fails with upstream_rate_limited; unknown events and ping are ignored', () => {
    const parts = read([
      start,
      { type: 'ping' },
      { type: 'some_future_event', payload: 1 },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: 'Hi' } },
      { type: 'error', error: { type: 'rate_limit_error', message: 'Slow down' } },
    ]);
    assert.equal(parts[0]?.type, 'message.delta');
    assert.equal(parts[1]?.type, 'usage', 'usage goes out after output');
    const last = parts.at(-1);
    assert.ok(last?.type === 'error');
    assert.equal(last.error.code, 'upstream_rate_limited');
    assert.match(last.error.message, /rate limiting requests \(rate_limit_error\): Slow down/);
  });

  test('a malformed event is upstream_bad_response naming the field', () => {
    const parts = read([start, { type: 'content_block_delta', index: 'zero', delta: { type: 'text_delta', text: 'x' } }]);
    const last = parts.at(-1);
    assert.ok(last?.type === 'error');
    assert.equal(last.error.code, 'upstream_bad_response');
    assert.match(last.error.message, /\/index/);
  });

  test('message_stop without a stop reason still completes the answer', () => {
    // No usage was reported, so none is made up.
    assert.deepEqual(read([{ type: 'message_start', message: {} }, { type: 'message_stop' }]), [{ type: 'finish', finish_reason: 'stop' }]);
  });
});

describe('Anthropic error mapping', () => {
  for (const [type, status, code] of [
    ['overloaded_error', 529, 'upstream_unavailable'],
    ['api_error', 500, 'upstream_unavailable'],
    ['rate_limit_error', 429, 'upstream_rate_limited'],
    ['authentication_error', 401, 'upstream_auth_failed'],
    ['permission_error', 403, 'upstream_auth_failed'],
    ['billing_error', 402, 'upstream_auth_failed'],
    ['not_found_error', 404, 'model_not_found'],
    ['invalid_request_error', 400, 'validation_failed'],
    ['request_too_large', 413, 'payload_too_large'],
    ['timeout_error', 504, 'upstream_timeout'],
  ] as const) {
    test(`${type} (HTTP ${status}) → ${code}`, () => {
      const error = fromAnthropicError(status, {}, { type, message: 'upstream says' }, context);
      assert.equal(error.code, code);
      assert.match(error.message, /upstream says/);
    });
  }

  test('an HTTP-date Retry-After is parsed into seconds; a 529 is retryable', () => {
    const now = Date.now();
    const limited = fromAnthropicError(429, { 'retry-after': new Date(now + 30_000).toUTCString() }, { type: 'rate_limit_error' }, context);
    assert.ok(limited.retryAfterSeconds !== undefined && limited.retryAfterSeconds > 27 && limited.retryAfterSeconds <= 30, String(limited.retryAfterSeconds));
    assert.equal(fromAnthropicError(529, {}, {}, context).retryable, true);
  });

  test('a 404 on a call that names no model (the model list) is a wrong base URL, not a missing model', () => {
    assert.equal(fromAnthropicError(404, {}, { type: 'not_found_error' }, { provider: 'anthropic' }).code, 'upstream_unavailable');
  });

  test('the configured key never appears in a message', () => {
    const error = fromAnthropicError(401, {}, { type: 'authentication_error', message: `invalid x-api-key ${CONFIG.apiKey}` }, context);
    assert.doesNotMatch(error.message, /0123456789/);
  });
});

describe('Anthropic provider against the mock upstream (in process)', () => {
  let upstream: MockUpstream;
  let provider: Provider;
  before(async () => {
    upstream = await startMockUpstream({ port: 0, mode: 'anthropic', apiKey: CONFIG.apiKey, models: ['claude-test', 'claude-other'], chunkCount: 4 });
    // A root with /v1 (vercel/ai's convention) works as well as the SDKs' bare root.
    provider = createAnthropicProvider({ ...CONFIG, baseURL: `${upstream.url}/v1/` });
  });
  after(async () => {
    await provider.close();
    await upstream.close();
  });
  beforeEach(() => upstream.reset());

  test('lists the models with their display names', async () => {
    const models = await provider.listModels();
    assert.deepEqual(
      models.map((model) => [model.id, model.owned_by, model.display_name]),
      [
        ['claude-test', 'anthropic', 'claude-test'],
        ['claude-other', 'anthropic', 'claude-other'],
      ],
    );
    assert.equal(upstream.requests[0]?.path, '/v1/models?limit=1000');
  });

  test('a scripted thinking block streams as reasoning and its signature lands in the metadata', async () => {
    upstream.setOptions({ reasoningChunks: 2 });
    const parts = await collect(provider.stream({ model: 'claude-test', messages: [{ role: 'user', content: 'Hi' }] }, { signal: new AbortController().signal }));
    assert.deepEqual(
      parts.filter((part) => part.type === 'reasoning.delta').map((part) => part.text),
      ['First', ' I'],
    );
    const finish = parts.find((part) => part.type === 'finish');
    assert.deepEqual(finish, { type: 'finish', finish_reason: 'stop', providerMetadata: { anthropic: { thinking: [{ type: 'thinking', thinking: 'First I', signature: MOCK_THINKING_SIGNATURE }] } } });
  });

  test('a stream cut off before message_stop ends with upstream_unavailable after the text so far', async () => {
    upstream.setOptions({ dropAfter: 5 });
    const parts = await collect(provider.stream({ model: 'claude-test', messages: [{ role: 'user', content: 'Hi' }] }, { signal: new AbortController().signal }));
    assert.equal(parts[0]?.type, 'message.delta');
    const last = parts.at(-1);
    assert.ok(last?.type === 'error');
    assert.equal(last.error.code, 'upstream_unavailable');
    assert.match(last.error.message, /cut off/);
  });

  test('a request that cannot be mapped yields one error part and sends nothing', async () => {
    const parts = await collect(provider.stream({ model: 'claude-test', messages: [{ role: 'tool', content: 'orphan' }] }, { signal: new AbortController().signal }));
    assert.equal(parts.length, 1);
    assert.ok(parts[0]?.type === 'error');
    assert.equal(parts[0].error.param, 'messages.0.tool_call_id');
    assert.equal(upstream.requests.length, 0);
  });
});
