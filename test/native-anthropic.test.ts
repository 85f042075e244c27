/**
 * The native Anthropic adapter end to end: Parley configured with
 * ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL pointing at a
 * `parley mock-upstream --mode anthropic` process, driven through
 * `/v1/chat/completions` with the openai SDK and through the conversations SSE
 * stream, on recorded Anthropic streams and the scripted answer; error mapping
 * through the mock upstream's fault injection.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type OpenAI from 'openai';
import type { MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { assertAnswer, chatStatus, conversationTurn, startNativeSetup, streamChat, type NativeSetup } from './helpers/native-e2e.js';
import { anthropicSignatures, expectedAnthropic, FIXTURES } from './helpers/native-fixtures.js';
import { requestJson, type RunningParley } from './helpers/parley.js';

let setup: NativeSetup;
let anthropic: MockUpstreamProcess;
let server: RunningParley;
let client: OpenAI;

before(async () => {
  setup = await startNativeSetup();
  ({ anthropic, server, client } = setup);
});
after(() => setup.stop());

describe('Anthropic Messages adapter (mock upstream --mode anthropic)', () => {
  beforeEach(() => anthropic.admin.reset());

  for (const [name, finishReason] of [
    ['anthropic-text', 'stop'],
    ['anthropic-clear-thinking.1', 'stop'],
    ['anthropic-json-tool.1', 'tool_calls'],
    ['anthropic-tool-no-args', 'tool_calls'],
  ] as const) {
    test(`${name}: /v1 streams the recording's text, thinking, tool calls and usage`, async () => {
      await anthropic.admin.setOptions({ replayFile: `${FIXTURES}${name}.chunks.txt` });
      assertAnswer(await streamChat(client, { model: 'anthropic:claude-recorded', messages: [{ role: 'user', content: 'replay' }] }), expectedAnthropic(name), finishReason);
    });
  }

  for (const name of ['anthropic-text', 'anthropic-clear-thinking.1']) {
    test(`${name}: the conversation stream and the stored message carry its text and thinking`, async () => {
      await anthropic.admin.setOptions({ replayFile: `${FIXTURES}${name}.chunks.txt` });
      const expected = expectedAnthropic(name);
      const conversation = (await requestJson(`${server.url}/conversations`, { body: { default_model: 'anthropic:claude-recorded' } })).body;
      const turn = await conversationTurn(server, conversation.id, 'replay');
      assert.equal(turn.text, expected.text);
      assert.equal(turn.reasoning, expected.reasoning);
      assert.equal(turn.last.done, true);
      const stored = (await requestJson(`${server.url}/conversations/${conversation.id}/messages`)).body.messages.at(-1);
      assert.equal(stored.status, 'complete');
      assert.equal(stored.content, expected.text);
      assert.equal(stored.reasoning ?? '', expected.reasoning);
      assert.equal(stored.usage.prompt_tokens, expected.usage.prompt_tokens);
      assert.equal(stored.usage.completion_tokens, expected.usage.completion_tokens);
    });
  }

  test('thinking blocks are stored with their signatures and sent back on the next turn', async () => {
    await anthropic.admin.setOptions({ replayFile: `${FIXTURES}anthropic-clear-thinking.1.chunks.txt` });
    const expected = expectedAnthropic('anthropic-clear-thinking.1');
    const conversation = (await requestJson(`${server.url}/conversations`, { body: { default_model: 'anthropic:claude-recorded' } })).body;
    await conversationTurn(server, conversation.id, 'What is 925 / 5?');
    await conversationTurn(server, conversation.id, 'And times 2?');
    const requests = await anthropic.admin.requests();
    assert.equal(requests.length, 2);
    const second = requests[1]!.body as { messages: { role: string; content: { type: string; [key: string]: unknown }[] }[] };
    assert.deepEqual(
      second.messages.map((message) => message.role),
      ['user', 'assistant', 'user'],
    );
    assert.deepEqual(second.messages[1]!.content, [
      { type: 'thinking', thinking: expected.reasoning, signature: anthropicSignatures('anthropic-clear-thinking.1')[0] },
      { type: 'text', text: expected.text },
    ]);
  });

  test('the upstream gets the system prompt top-level, max_tokens, the key and the API version', async () => {
    const streamed = await streamChat(client, {
      model: 'anthropic:claude-test',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello there' },
      ],
      temperature: 0.3,
    });
    assert.match(streamed.text, /^Mock reply to "Hello there":/);
    assert.equal(streamed.finishReason, 'stop');
    const [request] = await anthropic.admin.requests();
    assert.equal(request!.path, '/v1/messages');
    assert.equal(request!.headers['x-api-key'], 'sk-ant-test-key');
    assert.equal(request!.headers['anthropic-version'], '2023-06-01');
    assert.deepEqual(request!.body, {
      model: 'claude-test',
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello there' }] }],
      system: [{ type: 'text', text: 'Be brief.' }],
      stream: true,
      temperature: 0.3,
    });
  });

  test('tools, tool choice, tool calls and tool results map to tool_use and tool_result blocks', async () => {
    await streamChat(client, {
      model: 'anthropic:claude-test',
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
            { id: 'toolu_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: '18 °C' },
        { role: 'tool', tool_call_id: 'toolu_2', content: '24 °C' },
      ],
      tools: [{ type: 'function', function: { name: 'weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
      tool_choice: { type: 'function', function: { name: 'weather' } },
    });
    const [request] = await anthropic.admin.requests();
    const body = request!.body as Record<string, unknown>;
    assert.deepEqual(body.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_2', name: 'weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: '18 °C' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: '24 °C' },
        ],
      },
    ]);
    assert.deepEqual(body.tools, [{ name: 'weather', description: 'Current weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }]);
    assert.deepEqual(body.tool_choice, { type: 'tool', name: 'weather' });
  });

  test('a /v1 tool that is not a function is refused with 400 naming it, before any upstream call', async () => {
    const answer = await chatStatus(server, { model: 'anthropic:claude-test', messages: [{ role: 'user', content: 'Hi' }], tools: [{ type: 'custom', custom: { name: 'x' } }] });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.code, 'validation_failed');
    assert.equal(answer.body.error.param, 'tools.0.type');
    assert.equal((await anthropic.admin.requests()).length, 0);
  });

  test('a reasoning effort turns on extended thinking with its budget on top of max_tokens, without temperature', async () => {
    await anthropic.admin.setOptions({ reasoningChunks: 4 });
    const streamed = await streamChat(client, {
      model: 'anthropic:claude-test',
      messages: [{ role: 'user', content: 'Think first' }],
      max_tokens: 1000,
      temperature: 0.5,
      reasoning_effort: 'medium',
    });
    assert.equal(streamed.reasoning, 'First I read the');
    const [request] = await anthropic.admin.requests();
    const body = request!.body as Record<string, unknown>;
    assert.deepEqual(body.thinking, { type: 'enabled', budget_tokens: 8192 });
    assert.equal(body.max_tokens, 9192);
    assert.equal(body.temperature, undefined);
  });

  test('a refusal is a content_filtered failure carrying Anthropic\'s explanation', async () => {
    await anthropic.admin.setOptions({ replayFile: `${FIXTURES}anthropic-refusal.chunks.txt` });
    const answer = await chatStatus(server, { model: 'anthropic:claude-recorded', messages: [{ role: 'user', content: 'something forbidden' }], stream: true });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.code, 'content_filtered');
    assert.match(answer.body.error.message, /refused to answer \(cyber\): This request triggered restrictions/);
  });

  test('overloaded (529) is retried once, then answered', async () => {
    await anthropic.admin.setOptions({ failStatus: 529, faultTimes: 1 });
    const streamed = await streamChat(client, { model: 'anthropic:claude-test', messages: [{ role: 'user', content: 'Hello' }] });
    assert.match(streamed.text, /^Mock reply to "Hello":/);
    const requests = await anthropic.admin.requests();
    assert.deepEqual(requests.map((request) => request.fault ?? 'none'), ['status', 'none']);
  });

  for (const [status, expectedStatus, code, message] of [
    [529, 502, 'upstream_unavailable', /is overloaded \(HTTP 529, overloaded_error\): Overloaded/],
    [401, 502, 'upstream_auth_failed', /rejected the credentials \(HTTP 401, authentication_error\)/],
    [500, 502, 'upstream_unavailable', /failed \(HTTP 500, api_error\)/],
    [400, 400, 'validation_failed', /rejected the request \(HTTP 400, invalid_request_error\)/],
  ] as const) {
    test(`HTTP ${status} from Anthropic answers ${expectedStatus} ${code}`, async () => {
      await anthropic.admin.setOptions({ failStatus: status });
      const answer = await chatStatus(server, { model: 'anthropic:claude-test', messages: [{ role: 'user', content: 'Hello' }], stream: true });
      assert.equal(answer.status, expectedStatus);
      assert.equal(answer.body.error.code, code);
      assert.match(answer.body.error.message, message);
    });
  }

  test('rate_limit_error (429) answers 429 upstream_rate_limited with the upstream Retry-After', async () => {
    await anthropic.admin.setOptions({ failStatus: 429, retryAfterSeconds: 7 });
    const answer = await chatStatus(server, { model: 'anthropic:claude-test', messages: [{ role: 'user', content: 'Hello' }] });
    assert.equal(answer.status, 429);
    assert.equal(answer.body.error.code, 'upstream_rate_limited');
    assert.equal(answer.headers.get('retry-after'), '7');
  });

  test('not_found_error for an unknown model answers 404 model_not_found', async () => {
    const answer = await chatStatus(server, { model: 'anthropic:claude-nope', messages: [{ role: 'user', content: 'Hello' }] });
    assert.equal(answer.status, 404);
    assert.equal(answer.body.error.code, 'model_not_found');
    assert.match(answer.body.error.message, /Model "claude-nope" does not exist on provider "anthropic"/);
  });

  test('an error event mid-stream ends the /v1 stream with the error after the text so far', async () => {
    await anthropic.admin.setOptions({ errorEventAfter: 5 });
    const stream = await client.chat.completions.create({ model: 'anthropic:claude-test', messages: [{ role: 'user', content: 'Hello' }], stream: true });
    let text = '';
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      })(),
      /is overloaded \(overloaded_error\): Overloaded/,
    );
    // message_start, content_block_start, ping, then two text deltas reached the client.
    assert.match(text, /^Mock reply to "Hello": \w+$/);
  });
});
