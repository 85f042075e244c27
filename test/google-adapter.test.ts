/**
 * The Gemini adapter's request, stream-chunk and error mapping in detail,
 * against an in-process mock upstream in Gemini mode on loopback (the
 * end-to-end path through Parley is in native-providers.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { ParleyError } from '../src/errors.js';
import { startMockUpstream, type MockUpstream } from '../src/mock-upstream/server.js';
import { MOCK_THOUGHT_SIGNATURE } from '../src/mock-upstream/gemini-dialect.js';
import { errorDetails, fromGoogleError } from '../src/providers/google/errors.js';
import { createGoogleProvider, type GoogleConfig } from '../src/providers/google/index.js';
import { toGoogleBody } from '../src/providers/google/request.js';
import { GoogleStreamReader } from '../src/providers/google/stream-reader.js';
import type { ChatRequest, Provider, StreamPart } from '../src/providers/types.js';

const CONFIG: GoogleConfig = {
  name: 'google',
  baseURL: 'http://127.0.0.1:1/v1beta',
  apiKey: 'AIzaUnitTestKey0123456789',
  headers: {},
  defaultModel: 'gemini-2.5-flash',
  thinkingBudgetTokens: undefined,
  firstByteTimeoutMs: 5_000,
  idleTimeoutMs: 5_000,
};

const context = { provider: 'google', model: 'gemini-2.5-flash', apiKey: CONFIG.apiKey };

async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const collected: StreamPart[] = [];
  for await (const part of parts) collected.push(part);
  return collected;
}

/** Feeds responses to a fresh reader, then completes it unless it failed. */
function read(chunks: object[]): StreamPart[] {
  const reader = new GoogleStreamReader(context);
  const parts: StreamPart[] = [];
  for (const chunk of chunks) {
    parts.push(...reader.read(JSON.stringify(chunk)));
    if (parts.at(-1)?.type === 'error') return parts;
  }
  return [...parts, ...reader.complete()];
}

const text = (value: string, extra: object = {}) => ({ candidates: [{ content: { parts: [{ text: value }], role: 'model' }, index: 0, ...extra }] });

describe('Gemini request mapping', () => {
  const request = (overrides: Partial<ChatRequest>): ChatRequest => ({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }], ...overrides });

  test('reasoning effort: a budget on Gemini 2.5 (none → 0, without includeThoughts), a level on Gemini 3', () => {
    assert.deepEqual(toGoogleBody(request({ reasoning_effort: 'high' }), CONFIG).generationConfig?.thinkingConfig, { includeThoughts: true, thinkingBudget: 16384 });
    assert.deepEqual(toGoogleBody(request({ reasoning_effort: 'none' }), CONFIG).generationConfig?.thinkingConfig, { thinkingBudget: 0 });
    assert.deepEqual(toGoogleBody(request({ model: 'gemini-3-pro-preview', reasoning_effort: 'minimal' }), CONFIG).generationConfig?.thinkingConfig, {
      includeThoughts: true,
      thinkingLevel: 'low',
    });
    assert.deepEqual(toGoogleBody(request({ model: 'models/gemini-3-flash', reasoning_effort: 'medium' }), CONFIG).generationConfig?.thinkingConfig, {
      includeThoughts: true,
      thinkingLevel: 'high',
    });
  });

  test('the configured budget applies without an effort; models that do not think get no thinking config', () => {
    assert.deepEqual(toGoogleBody(request({}), { ...CONFIG, thinkingBudgetTokens: -1 }).generationConfig?.thinkingConfig, { includeThoughts: true, thinkingBudget: -1 });
    assert.equal(toGoogleBody(request({ model: 'gemini-2.0-flash', reasoning_effort: 'high' }), CONFIG).generationConfig, undefined);
    assert.equal(toGoogleBody(request({ model: 'gemma-3-27b-it' }), CONFIG).generationConfig, undefined);
  });

  test('stored thought signatures go back on the text and function-call parts they came with; no placeholder on Gemini 2.5', () => {
    const body = toGoogleBody(
      request({
        messages: [
          { role: 'user', content: 'Q' },
          {
            role: 'assistant',
            content: 'Checking.',
            tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'a', arguments: '{}' } },
              { id: 'c2', type: 'function', function: { name: 'b', arguments: '{"x":1}' } },
            ],
            providerMetadata: { google: { thoughtSignatures: { text: 'sig-text', toolCalls: { '0': 'sig-call' } } } },
          },
          { role: 'tool', tool_call_id: 'c1', content: 'plain answer' },
          { role: 'tool', tool_call_id: 'c2', name: 'b', content: '{"ok":true}' },
        ],
      }),
      CONFIG,
    );
    assert.deepEqual(body.contents.slice(1), [
      {
        role: 'model',
        parts: [
          { text: 'Checking.', thoughtSignature: 'sig-text' },
          { functionCall: { name: 'a', args: {}, id: 'c1' }, thoughtSignature: 'sig-call' },
          { functionCall: { name: 'b', args: { x: 1 }, id: 'c2' } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'a', response: { content: 'plain answer' }, id: 'c1' } },
          { functionResponse: { name: 'b', response: { ok: true }, id: 'c2' } },
        ],
      },
    ]);
  });

  test('a tool result whose call is unknown and carries no name is a validation error', () => {
    assert.throws(
      () => toGoogleBody(request({ messages: [{ role: 'tool', tool_call_id: 'nowhere', content: 'x' }] }), CONFIG),
      (error: ParleyError) => error.code === 'validation_failed' && error.param === 'messages.0.tool_call_id',
    );
  });

  test('sampling settings map to generationConfig; tool choice none and a named tool', () => {
    const tools = [{ type: 'function' as const, name: 'f', description: 'does f', inputSchema: { type: 'object' } }];
    const body = toGoogleBody(request({ model: 'gemini-2.0-flash', temperature: 0.4, top_p: 0.9, seed: 5, presence_penalty: 0.1, frequency_penalty: 0.2, tools, tool_choice: { type: 'none' } }), CONFIG);
    assert.deepEqual(body.generationConfig, { temperature: 0.4, topP: 0.9, seed: 5, presencePenalty: 0.1, frequencyPenalty: 0.2 });
    assert.deepEqual(body.toolConfig, { functionCallingConfig: { mode: 'NONE' } });
    assert.deepEqual(toGoogleBody(request({ tools, tool_choice: { type: 'tool', toolName: 'f' } }), CONFIG).toolConfig, {
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f'] },
    });
  });
});

describe('Gemini stream mapping', () => {
  test('a SAFETY stop after some text keeps the text and fails with content_filtered naming the categories', () => {
    const parts = read([
      text('Once upon'),
      text(' a time', {
        finishReason: 'SAFETY',
        safetyRatings: [
          { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true },
          { category: 'HARM_CATEGORY_HARASSMENT', probability: 'NEGLIGIBLE' },
        ],
      }),
    ]);
    assert.deepEqual(parts.slice(0, 2), [
      { type: 'message.delta', text: 'Once upon' },
      { type: 'message.delta', text: ' a time' },
    ]);
    const last = parts.at(-1);
    assert.ok(last?.type === 'error');
    assert.equal(last.error.code, 'content_filtered');
    assert.match(last.error.message, /stopped the answer \(SAFETY: HARM_CATEGORY_DANGEROUS_CONTENT\)/);
  });

  test('MAX_TOKENS is length; MALFORMED_FUNCTION_CALL is upstream_bad_response', () => {
    assert.deepEqual(read([text('cut', { finishReason: 'MAX_TOKENS' })]).at(-1), { type: 'finish', finish_reason: 'length' });
    const malformed = read([{ candidates: [{ content: { parts: [] }, finishReason: 'MALFORMED_FUNCTION_CALL', finishMessage: 'bad args' }] }]).at(-1);
    assert.ok(malformed?.type === 'error');
    assert.equal(malformed.error.code, 'upstream_bad_response');
  });

  test('a function call without an id gets a generated one; its signature goes into the metadata', () => {
    const parts = read([{ candidates: [{ content: { parts: [{ functionCall: { name: 'lookup', args: { q: 'x' } }, thoughtSignature: 'sig-0' }] }, finishReason: 'STOP' }] }]);
    const call = parts[0];
    assert.ok(call?.type === 'tool_call.delta');
    assert.match(call.id ?? '', /^call_[0-9a-f]{24}$/);
    assert.equal(call.arguments, '{"q":"x"}');
    assert.deepEqual(parts[1], { type: 'finish', finish_reason: 'tool_calls', providerMetadata: { google: { thoughtSignatures: { toolCalls: { '0': 'sig-0' } } } } });
  });

  test('an error object mid-stream fails with its mapped code and retry delay', () => {
    const parts = read([
      text('Hi'),
      { error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '34.4s' }] } },
    ]);
    const last = parts.at(-1);
    assert.ok(last?.type === 'error');
    assert.equal(last.error.code, 'upstream_rate_limited');
    assert.equal(last.error.retryAfterSeconds, 34.4);
  });
});

describe('Gemini error mapping', () => {
  for (const [status, httpStatus, code] of [
    ['RESOURCE_EXHAUSTED', 429, 'upstream_rate_limited'],
    ['UNAUTHENTICATED', 401, 'upstream_auth_failed'],
    ['PERMISSION_DENIED', 403, 'upstream_auth_failed'],
    ['NOT_FOUND', 404, 'model_not_found'],
    ['INVALID_ARGUMENT', 400, 'validation_failed'],
    ['FAILED_PRECONDITION', 400, 'validation_failed'],
    ['DEADLINE_EXCEEDED', 504, 'upstream_timeout'],
    ['INTERNAL', 500, 'upstream_unavailable'],
    ['UNAVAILABLE', 503, 'upstream_unavailable'],
  ] as const) {
    test(`${status} (HTTP ${httpStatus}) → ${code}`, () => {
      assert.equal(fromGoogleError(httpStatus, {}, { status, message: 'upstream says' }, context).code, code);
    });
  }

  test('an invalid key (400 INVALID_ARGUMENT, reason API_KEY_INVALID) is upstream_auth_failed, key redacted', () => {
    const details = errorDetails({
      error: { code: 400, status: 'INVALID_ARGUMENT', message: `API key not valid: ${CONFIG.apiKey}`, details: [{ reason: 'API_KEY_INVALID' }] },
    });
    const error = fromGoogleError(400, {}, details, context);
    assert.equal(error.code, 'upstream_auth_failed');
    assert.doesNotMatch(error.message, /0123456789/);
  });
});

describe('Gemini provider against the mock upstream (in process)', () => {
  let upstream: MockUpstream;
  let provider: Provider;
  before(async () => {
    upstream = await startMockUpstream({ port: 0, mode: 'gemini', apiKey: CONFIG.apiKey, models: ['gemini-2.5-flash'], chunkCount: 4 });
    provider = createGoogleProvider({ ...CONFIG, baseURL: upstream.url });
  });
  after(async () => {
    await provider.close();
    await upstream.close();
  });
  beforeEach(() => upstream.reset());

  test('lists the models that can generate content, without the models/ prefix', async () => {
    const models = await provider.listModels();
    assert.deepEqual(models, [{ id: 'gemini-2.5-flash', owned_by: 'google', display_name: 'gemini-2.5-flash', context_length: 1_048_576, max_output_tokens: 65_536 }]);
    assert.equal(upstream.requests[0]?.headers['x-goog-api-key'], CONFIG.apiKey);
  });

  test('scripted thoughts stream as reasoning; the closing signature lands in the metadata', async () => {
    upstream.setOptions({ reasoningChunks: 2 });
    const parts = await collect(provider.stream({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] }, { signal: new AbortController().signal }));
    assert.deepEqual(
      parts.filter((part) => part.type === 'reasoning.delta').map((part) => part.text),
      ['First', ' I'],
    );
    assert.deepEqual(parts.find((part) => part.type === 'finish'), {
      type: 'finish',
      finish_reason: 'stop',
      providerMetadata: { google: { thoughtSignatures: { text: MOCK_THOUGHT_SIGNATURE, toolCalls: {} } } },
    });
    assert.deepEqual(parts.at(-1), { type: 'usage', usage: { prompt_tokens: 5, completion_tokens: 6, reasoning_tokens: 2, cached_tokens: 0 } });
  });

  test('a stream that ends without a finish reason is cut off, never silently truncated', async () => {
    upstream.setOptions({ dropAfter: 2 });
    const parts = await collect(provider.stream({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] }, { signal: new AbortController().signal }));
    const last = parts.at(-1);
    assert.ok(last?.type === 'error');
    assert.equal(last.error.code, 'upstream_unavailable');
    assert.match(last.error.message, /cut off/);
  });

  test('a wrong key answers upstream_auth_failed', async () => {
    const wrong = createGoogleProvider({ ...CONFIG, baseURL: upstream.url, apiKey: 'AIzaWrongKey000000' });
    try {
      const parts = await collect(wrong.stream({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] }, { signal: new AbortController().signal }));
      const last = parts.at(-1);
      assert.ok(last?.type === 'error');
      assert.equal(last.error.code, 'upstream_auth_failed');
      assert.match(last.error.message, /API key not valid/);
    } finally {
      await wrong.close();
    }
  });
});
