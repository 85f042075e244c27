/**
 * The native Anthropic and Gemini adapters end to end: Parley configured with
 * ANTHROPIC_API_KEY / GEMINI_API_KEY and base URLs pointing at
 * `parley mock-upstream --mode anthropic|gemini` processes, driven through
 * `/v1/chat/completions` with the openai SDK and through the conversations
 * SSE stream, on recorded provider streams and on the scripted answer; error
 * mapping through the mock upstream's fault injection.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { anthropicSignatures, expectedAnthropic, expectedGoogle, FIXTURES, googleTextSignature, type ExpectedAnswer } from './helpers/native-fixtures.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { collectSse } from './helpers/sse.js';

type DeltaWithReasoning = OpenAI.Chat.ChatCompletionChunk.Choice.Delta & { reasoning_content?: string };

interface Streamed {
  text: string;
  reasoning: string;
  toolCalls: { id: string; name: string; arguments: string }[];
  usage: OpenAI.CompletionUsage | undefined;
  finishReason: string | null | undefined;
}

async function streamChat(client: OpenAI, body: Omit<OpenAI.Chat.ChatCompletionCreateParamsStreaming, 'stream'>): Promise<Streamed> {
  const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
  const result: Streamed = { text: '', reasoning: '', toolCalls: [], usage: undefined, finishReason: undefined };
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    const delta: DeltaWithReasoning | undefined = choice?.delta;
    result.text += delta?.content ?? '';
    result.reasoning += delta?.reasoning_content ?? '';
    for (const call of delta?.tool_calls ?? []) {
      const entry = (result.toolCalls[call.index] ??= { id: '', name: '', arguments: '' });
      entry.id += call.id ?? '';
      entry.name += call.function?.name ?? '';
      entry.arguments += call.function?.arguments ?? '';
    }
    if (choice?.finish_reason) result.finishReason = choice.finish_reason;
    if (chunk.usage) result.usage = chunk.usage;
  }
  return result;
}

function assertAnswer(streamed: Streamed, expected: ExpectedAnswer, finishReason: string): void {
  assert.equal(streamed.text, expected.text);
  assert.equal(streamed.reasoning, expected.reasoning);
  assert.deepEqual(
    streamed.toolCalls.map(({ name, arguments: args }) => ({ name, arguments: args })),
    expected.toolCalls,
  );
  for (const call of streamed.toolCalls) assert.ok(call.id !== '', 'every tool call has an id');
  assert.equal(streamed.finishReason, finishReason);
  assert.equal(streamed.usage?.prompt_tokens, expected.usage.prompt_tokens);
  assert.equal(streamed.usage?.completion_tokens, expected.usage.completion_tokens);
  assert.equal(streamed.usage?.completion_tokens_details?.reasoning_tokens, expected.usage.reasoning_tokens);
}

/** Sends one conversation turn and reads its SSE stream: text, reasoning and the final event. */
async function conversationTurn(server: RunningParley, conversationId: string, message: string) {
  const posted = await requestJson(`${server.url}/conversations/${conversationId}/messages`, { body: { message } });
  assert.equal(posted.status, 200);
  const events = await collectSse(await fetch(`${server.url}/conversations/${conversationId}/stream`));
  const unnamed = events.filter((event) => event.event === undefined).map((event) => JSON.parse(event.data));
  return {
    text: unnamed.map((data) => data.content ?? '').join(''),
    reasoning: events.filter((event) => event.event === 'reasoning').map((event) => JSON.parse(event.data).reasoning).join(''),
    last: unnamed.at(-1),
  };
}

async function chatStatus(server: RunningParley, body: unknown) {
  const response = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

let anthropic: MockUpstreamProcess;
let gemini: MockUpstreamProcess;
let server: RunningParley;
let client: OpenAI;

before(async () => {
  [anthropic, gemini] = await Promise.all([
    spawnMockUpstream(['--mode', 'anthropic', '--api-key', 'sk-ant-test-key', '--models', 'claude-test', '--chunks', '6']),
    spawnMockUpstream(['--mode', 'gemini', '--api-key', 'gemini-test-key', '--models', 'gemini-2.5-flash,gemini-3-pro-preview', '--chunks', '6']),
  ]);
  server = await startParley({
    ANTHROPIC_API_KEY: 'sk-ant-test-key',
    ANTHROPIC_BASE_URL: anthropic.url,
    GEMINI_API_KEY: 'gemini-test-key',
    GEMINI_BASE_URL: gemini.url,
    PARLEY_UPSTREAM_RETRIES: '1',
  });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => {
  await server.stop();
  await Promise.all([anthropic.stop(), gemini.stop()]);
});

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
