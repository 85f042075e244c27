/**
 * The native Gemini adapter end to end: Parley configured with GEMINI_API_KEY
 * and GEMINI_BASE_URL pointing at a `parley mock-upstream --mode gemini`
 * process, driven through `/v1/chat/completions` with the openai SDK and
 * through the conversations SSE stream, on recorded Gemini streams and the
 * scripted answer; error mapping through the mock upstream's fault injection.
 * Anthropic is configured too, as the default provider.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type OpenAI from 'openai';
import type { MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { assertAnswer, chatStatus, conversationTurn, startNativeSetup, streamChat, type NativeSetup } from './helpers/native-e2e.js';
import { expectedGoogle, FIXTURES, googleTextSignature } from './helpers/native-fixtures.js';
import { requestJson, type RunningParley } from './helpers/parley.js';

let setup: NativeSetup;
let anthropic: MockUpstreamProcess;
let gemini: MockUpstreamProcess;
let server: RunningParley;
let client: OpenAI;

before(async () => {
  setup = await startNativeSetup();
  ({ anthropic, gemini, server, client } = setup);
});
after(() => setup.stop());

describe('Gemini adapter (mock upstream --mode gemini)', () => {
  beforeEach(() => gemini.admin.reset());

  for (const [name, finishReason] of [
    ['google-text', 'stop'],
    ['google-reasoning-thoughts', 'stop'],
    ['google-tool-call', 'tool_calls'],
  ] as const) {
    test(`${name}: /v1 streams the recording's text, thoughts, function calls and usage`, async () => {
      await gemini.admin.setOptions({ replayFile: `${FIXTURES}${name}.chunks.txt` });
      assertAnswer(await streamChat(client, { model: 'google:gemini-recorded', messages: [{ role: 'user', content: 'replay' }] }), expectedGoogle(name), finishReason);
    });
  }

  test('thought parts reach the conversation stream as reasoning and are stored', async () => {
    await gemini.admin.setOptions({ replayFile: `${FIXTURES}google-reasoning-thoughts.chunks.txt` });
    const expected = expectedGoogle('google-reasoning-thoughts');
    const conversation = (await requestJson(`${server.url}/conversations`, { body: { default_model: 'google:gemini-recorded' } })).body;
    const turn = await conversationTurn(server, conversation.id, 'replay');
    assert.equal(turn.text, expected.text);
    assert.equal(turn.reasoning, expected.reasoning);
    const stored = (await requestJson(`${server.url}/conversations/${conversation.id}/messages`)).body.messages.at(-1);
    assert.equal(stored.content, expected.text);
    assert.equal(stored.reasoning, expected.reasoning);
    assert.deepEqual(stored.usage, { prompt_tokens: 14, completion_tokens: 160, reasoning_tokens: 142, cached_tokens: 0 });
  });

  test('the thought signature is stored and sent back on the text part of the next turn', async () => {
    await gemini.admin.setOptions({ replayFile: `${FIXTURES}google-text.chunks.txt` });
    const expected = expectedGoogle('google-text');
    const conversation = (await requestJson(`${server.url}/conversations`, { body: { default_model: 'google:gemini-3-pro-preview' } })).body;
    await conversationTurn(server, conversation.id, 'How many r in strawberry?');
    await conversationTurn(server, conversation.id, 'And in raspberry?');
    const requests = await gemini.admin.requests();
    const second = requests[1]!.body as { contents: unknown[] };
    assert.deepEqual(second.contents, [
      { role: 'user', parts: [{ text: 'How many r in strawberry?' }] },
      { role: 'model', parts: [{ text: expected.text, thoughtSignature: googleTextSignature('google-text') }] },
      { role: 'user', parts: [{ text: 'And in raspberry?' }] },
    ]);
  });

  test('the upstream gets systemInstruction, user/model roles, includeThoughts and the key', async () => {
    const streamed = await streamChat(client, {
      model: 'google:gemini-2.5-flash',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: 'How are you?' },
      ],
      max_tokens: 300,
      stop: ['END'],
    });
    assert.match(streamed.text, /^Mock reply to "How are you\?":/);
    const [request] = await gemini.admin.requests();
    assert.equal(request!.path, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    assert.equal(request!.headers['x-goog-api-key'], 'gemini-test-key');
    assert.deepEqual(request!.body, {
      contents: [
        { role: 'user', parts: [{ text: 'Hi' }] },
        { role: 'model', parts: [{ text: 'Hello!' }] },
        { role: 'user', parts: [{ text: 'How are you?' }] },
      ],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { maxOutputTokens: 300, stopSequences: ['END'], thinkingConfig: { includeThoughts: true } },
    });
  });

  test('thoughts stream as reasoning, with usage counting thought tokens in completion_tokens', async () => {
    await gemini.admin.setOptions({ reasoningChunks: 3 });
    const streamed = await streamChat(client, { model: 'google:gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }], reasoning_effort: 'low' });
    assert.equal(streamed.reasoning, 'First I read');
    assert.equal(streamed.usage?.completion_tokens_details?.reasoning_tokens, 3);
    assert.equal(streamed.usage?.completion_tokens, 6 + 3);
    const [request] = await gemini.admin.requests();
    assert.deepEqual((request!.body as any).generationConfig, { thinkingConfig: { includeThoughts: true, thinkingBudget: 2048 } });
  });

  test('tools map to functionDeclarations; calls and results to functionCall / functionResponse parts', async () => {
    await streamChat(client, {
      model: 'google:gemini-3-pro-preview',
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"celsius":18}' },
      ],
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
      tool_choice: 'required',
    });
    const [request] = await gemini.admin.requests();
    const body = request!.body as Record<string, unknown>;
    assert.deepEqual(body.contents, [
      { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
      // No stored signature (the client keeps its own history): Google's documented placeholder stands in.
      { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Paris' }, id: 'call_1' }, thoughtSignature: 'skip_thought_signature_validator' }] },
      { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { celsius: 18 }, id: 'call_1' } }] },
    ]);
    assert.deepEqual(body.tools, [
      { functionDeclarations: [{ name: 'weather', parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }] },
    ]);
    assert.deepEqual(body.toolConfig, { functionCallingConfig: { mode: 'ANY' } });
  });

  test('a blocked prompt is a content_filtered failure naming the block reason', async () => {
    await gemini.admin.setOptions({ replayFile: `${FIXTURES}google-prompt-block.chunks.txt` });
    const answer = await chatStatus(server, { model: 'google:gemini-recorded', messages: [{ role: 'user', content: 'something forbidden' }], stream: true });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.code, 'content_filtered');
    assert.match(answer.body.error.message, /blocked the prompt \(PROHIBITED_CONTENT\)/);
  });

  test('RESOURCE_EXHAUSTED answers 429 with Retry-After from RetryInfo', async () => {
    await gemini.admin.setOptions({ failStatus: 429, retryAfterSeconds: 7 });
    const answer = await chatStatus(server, { model: 'google:gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(answer.status, 429);
    assert.equal(answer.body.error.code, 'upstream_rate_limited');
    assert.equal(answer.headers.get('retry-after'), '7');
  });

  for (const [status, expectedStatus, code, message] of [
    [503, 502, 'upstream_unavailable', /failed \(HTTP 503, UNAVAILABLE\)/],
    [403, 502, 'upstream_auth_failed', /rejected the credentials \(HTTP 403, PERMISSION_DENIED\)/],
    [504, 504, 'upstream_timeout', /timed out \(HTTP 504, DEADLINE_EXCEEDED\)/],
  ] as const) {
    test(`HTTP ${status} from Gemini answers ${expectedStatus} ${code}`, async () => {
      await gemini.admin.setOptions({ failStatus: status });
      const answer = await chatStatus(server, { model: 'google:gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] });
      assert.equal(answer.status, expectedStatus);
      assert.equal(answer.body.error.code, code);
      assert.match(answer.body.error.message, message);
    });
  }

  test('an unknown model answers 404 model_not_found', async () => {
    const answer = await chatStatus(server, { model: 'google:gemini-nope', messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(answer.status, 404);
    assert.equal(answer.body.error.code, 'model_not_found');
    assert.match(answer.body.error.message, /Model "gemini-nope" does not exist on provider "google"/);
  });

  test('an error event mid-stream fails the conversation answer and keeps the partial text', async () => {
    await gemini.admin.setOptions({ errorEventAfter: 2 });
    const conversation = (await requestJson(`${server.url}/conversations`, { body: { default_model: 'google:gemini-2.5-flash' } })).body;
    const turn = await conversationTurn(server, conversation.id, 'Hi');
    assert.match(turn.text, /^Mock reply to "Hi": \w+$/);
    assert.equal(turn.last.code, 'upstream_unavailable');
    assert.match(turn.last.error, /failed \(UNAVAILABLE\): The model is overloaded/);
    const stored = (await requestJson(`${server.url}/conversations/${conversation.id}/messages`)).body.messages.at(-1);
    assert.equal(stored.status, 'failed');
    assert.equal(stored.content, turn.text);
  });
});

describe('both native providers in one Parley', () => {
  test('GET /v1/models lists Anthropic models as the default provider and Gemini ones with the google: prefix', async () => {
    const models = await client.models.list();
    const ids = models.data.map((model) => model.id);
    assert.ok(ids.includes('claude-test'), ids.join(', '));
    assert.ok(ids.includes('google:gemini-2.5-flash'), ids.join(', '));
    assert.ok(ids.includes('google:gemini-3-pro-preview'), ids.join(', '));
    assert.equal(models.data.find((model) => model.id === 'claude-test')?.owned_by, 'anthropic');
  });

  test('an unprefixed model goes to the default (first configured) provider, Anthropic', async () => {
    await anthropic.admin.reset();
    const streamed = await streamChat(client, { model: 'claude-test', messages: [{ role: 'user', content: 'Default?' }] });
    assert.match(streamed.text, /^Mock reply to "Default\?":/);
    assert.equal((await anthropic.admin.requests()).length, 1);
  });
});
