/**
 * Whole answers on the native providers: a `/v1/chat/completions` call with
 * `stream: false` asks Anthropic for one `message` (no `stream`) and Gemini for
 * one `:generateContent` response, a streaming call still streams, and both
 * give the same answer, errors and fallbacks. Real Parley, real
 * `parley mock-upstream --mode anthropic|gemini` processes replaying recorded
 * streams (assembled into the whole answer for the non-streamed call), the
 * official `openai` SDK.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import { chatStatus, streamChat } from './helpers/native-e2e.js';
import { expectedAnthropic, expectedGoogle, FIXTURES, type ExpectedAnswer } from './helpers/native-fixtures.js';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { startParley, type RunningParley } from './helpers/parley.js';

/** What a client gets of one answer, whichever way it asked; tool arguments parsed (a whole answer's JSON is compact). */
interface Answer {
  text: string;
  reasoning: string;
  toolCalls: { name: string; arguments: unknown }[];
  finishReason: string | null | undefined;
  usage: OpenAI.CompletionUsage | undefined;
}

type Message = OpenAI.ChatCompletionMessage & { reasoning_content?: string };

const MESSAGES = [{ role: 'user' as const, content: 'whole or streamed' }];

async function whole(client: OpenAI, model: string): Promise<Answer> {
  const completion = await client.chat.completions.create({ model, messages: MESSAGES });
  const choice = completion.choices[0]!;
  const message = choice.message as Message;
  const calls = (message.tool_calls ?? []) as OpenAI.ChatCompletionMessageFunctionToolCall[];
  for (const call of calls) assert.ok(call.id !== '', 'every tool call has an id');
  return {
    text: message.content ?? '',
    reasoning: message.reasoning_content ?? '',
    toolCalls: calls.map((call) => ({ name: call.function.name, arguments: JSON.parse(call.function.arguments) })),
    finishReason: choice.finish_reason,
    usage: completion.usage,
  };
}

async function streamed(client: OpenAI, model: string): Promise<Answer> {
  const answer = await streamChat(client, { model, messages: MESSAGES });
  return { ...answer, toolCalls: answer.toolCalls.map((call) => ({ name: call.name, arguments: JSON.parse(call.arguments) })) };
}

/** The recording's own answer, read from the file. */
function recorded(expected: ExpectedAnswer): Pick<Answer, 'text' | 'reasoning' | 'toolCalls'> {
  return { text: expected.text, reasoning: expected.reasoning, toolCalls: expected.toolCalls.map((call) => ({ name: call.name, arguments: JSON.parse(call.arguments) })) };
}

let anthropic: MockUpstreamProcess;
let gemini: MockUpstreamProcess;
let server: RunningParley;
let client: OpenAI;

before(async () => {
  [anthropic, gemini] = await Promise.all([
    spawnMockUpstream(['--mode', 'anthropic', '--api-key', 'sk-ant-test-key', '--any-model', '--chunks', '6', '--ttft-ms', '0', '--token-rate', '0']),
    spawnMockUpstream(['--mode', 'gemini', '--api-key', 'gemini-test-key', '--any-model', '--chunks', '6', '--ttft-ms', '0', '--token-rate', '0']),
  ]);
  server = await startParley({
    ANTHROPIC_API_KEY: 'sk-ant-test-key',
    ANTHROPIC_BASE_URL: anthropic.url,
    GEMINI_API_KEY: 'gemini-test-key',
    GEMINI_BASE_URL: gemini.url,
    PARLEY_UPSTREAM_RETRIES: '0',
    PARLEY_FALLBACK_COOLDOWN_SECONDS: '0',
    // A whole answer may take both: 400 + 600 ms before its headers.
    PARLEY_FIRST_BYTE_TIMEOUT_MS: '400',
    PARLEY_UPSTREAM_IDLE_TIMEOUT_MS: '600',
    PARLEY_MODEL_ALIASES: JSON.stringify({
      'claude-then-gemini': ['anthropic:claude-test', 'google:gemini-test'],
      'gemini-then-claude': ['google:gemini-test', 'anthropic:claude-test'],
    }),
  });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => {
  await server.stop();
  await Promise.all([anthropic.stop(), gemini.stop()]);
});
beforeEach(async () => {
  await Promise.all([anthropic.admin.reset(), gemini.admin.reset()]);
});

describe('both providers: timeouts and malformed answers as on the OpenAI-compatible whole path', () => {
  for (const [provider, model] of [
    ['anthropic', 'anthropic:claude-test'],
    ['gemini', 'google:gemini-test'],
  ] as const) {
    test(`${provider}: an answer that never comes is an upstream_timeout after first-byte + idle`, async () => {
      await (provider === 'anthropic' ? anthropic : gemini).admin.setOptions({ stallAfter: 0 });
      const started = Date.now();
      const answer = await chatStatus(server, { model, messages: MESSAGES });
      assert.equal(answer.body.error?.code, 'upstream_timeout', JSON.stringify(answer.body));
      assert.ok(Date.now() - started >= 1000, 'waited 400 + 600 ms for the headers');
    });

    test(`${provider}: a 200 body that is not JSON is an upstream_bad_response naming the answer`, async () => {
      await (provider === 'anthropic' ? anthropic : gemini).admin.setOptions({ malformedAfter: 0 });
      const answer = await chatStatus(server, { model, messages: MESSAGES });
      assert.equal(answer.body.error?.code, 'upstream_bad_response', JSON.stringify(answer.body));
      assert.match(answer.body.error.message, /malformed answer: the body is not JSON/);
    });
  }
});

describe('Anthropic: a /v1 call with stream: false asks for one message', () => {
  test('the upstream receives no stream field for a JSON call, stream: true for a streaming one', async () => {
    await whole(client, 'anthropic:claude-test');
    await streamed(client, 'anthropic:claude-test');
    const bodies = (await anthropic.admin.requests()).map((request) => ({ path: request.path, stream: (request.body as { stream?: boolean }).stream }));
    assert.deepEqual(bodies, [
      { path: '/v1/messages', stream: undefined },
      { path: '/v1/messages', stream: true },
    ]);
  });

  for (const name of ['anthropic-text', 'anthropic-clear-thinking.1', 'anthropic-json-tool.1', 'anthropic-tool-no-args']) {
    test(`${name}: the JSON answer equals the folded stream and the recording`, async () => {
      await anthropic.admin.setOptions({ replayFile: `${FIXTURES}${name}.chunks.txt` });
      const [json, stream] = [await whole(client, 'anthropic:claude-recorded'), await streamed(client, 'anthropic:claude-recorded')];
      assert.deepEqual(json, stream);
      assert.deepEqual({ text: json.text, reasoning: json.reasoning, toolCalls: json.toolCalls }, recorded(expectedAnthropic(name)));
    });
  }

  test('the scripted answer with thinking: the same text, reasoning and usage either way', async () => {
    await anthropic.admin.setOptions({ reasoningChunks: 3 });
    const json = await whole(client, 'anthropic:claude-test');
    assert.notEqual(json.reasoning, '');
    assert.deepEqual(json, await streamed(client, 'anthropic:claude-test'));
  });

  test('a refusal is the same content_filtered failure as on the stream', async () => {
    await anthropic.admin.setOptions({ replayFile: `${FIXTURES}anthropic-refusal.chunks.txt` });
    const body = { model: 'anthropic:claude-recorded', messages: MESSAGES };
    const [json, stream] = [await chatStatus(server, body), await chatStatus(server, { ...body, stream: true })];
    assert.equal(json.status, 400);
    assert.deepEqual(json.body, stream.body);
    assert.match(json.body.error.message, /refused to answer \(cyber\)/);
  });

  test('a 400 maps as on the stream path', async () => {
    await anthropic.admin.setOptions({ failStatus: 400 });
    const body = { model: 'anthropic:claude-test', messages: MESSAGES };
    const [json, stream] = [await chatStatus(server, body), await chatStatus(server, { ...body, stream: true })];
    assert.equal(json.status, 400);
    assert.equal(json.body.error.code, 'validation_failed');
    assert.match(json.body.error.message, /rejected the request \(HTTP 400, invalid_request_error\)/);
    assert.deepEqual(json.body, stream.body);
  });

  test('an overloaded (529) upstream falls back to Gemini, which also answers whole', async () => {
    await anthropic.admin.setOptions({ failStatus: 529 });
    const json = await whole(client, 'claude-then-gemini');
    assert.match(json.text, /^Mock reply to "whole or streamed":/);
    assert.deepEqual((await anthropic.admin.requests()).map((request) => request.fault), ['status']);
    assert.deepEqual((await gemini.admin.requests()).map((request) => request.path), ['/v1beta/models/gemini-test:generateContent']);
  });
});

describe('Gemini: a /v1 call with stream: false calls :generateContent', () => {
  test('the upstream receives :generateContent for a JSON call, :streamGenerateContent for a streaming one', async () => {
    await whole(client, 'google:gemini-test');
    await streamed(client, 'google:gemini-test');
    assert.deepEqual(
      (await gemini.admin.requests()).map((request) => request.path),
      ['/v1beta/models/gemini-test:generateContent', '/v1beta/models/gemini-test:streamGenerateContent?alt=sse'],
    );
  });

  for (const name of ['google-text', 'google-reasoning-thoughts', 'google-tool-call']) {
    test(`${name}: the JSON answer equals the folded stream and the recording`, async () => {
      await gemini.admin.setOptions({ replayFile: `${FIXTURES}${name}.chunks.txt` });
      const [json, stream] = [await whole(client, 'google:gemini-recorded'), await streamed(client, 'google:gemini-recorded')];
      assert.deepEqual(json, stream);
      assert.deepEqual({ text: json.text, reasoning: json.reasoning, toolCalls: json.toolCalls }, recorded(expectedGoogle(name)));
    });
  }

  test('a blocked prompt is the same content_filtered failure as on the stream', async () => {
    await gemini.admin.setOptions({ replayFile: `${FIXTURES}google-prompt-block.chunks.txt` });
    const body = { model: 'google:gemini-recorded', messages: MESSAGES };
    const [json, stream] = [await chatStatus(server, body), await chatStatus(server, { ...body, stream: true })];
    assert.equal(json.status, 400);
    assert.equal(json.body.error.code, 'content_filtered');
    assert.deepEqual(json.body, stream.body);
  });

  test('a 400 maps as on the stream path', async () => {
    await gemini.admin.setOptions({ failStatus: 400 });
    const body = { model: 'google:gemini-test', messages: MESSAGES };
    const [json, stream] = [await chatStatus(server, body), await chatStatus(server, { ...body, stream: true })];
    assert.equal(json.status, 400);
    assert.equal(json.body.error.code, 'validation_failed');
    assert.deepEqual(json.body, stream.body);
  });

  test('a 500 falls back to Anthropic, which also answers whole', async () => {
    await gemini.admin.setOptions({ failStatus: 500 });
    const json = await whole(client, 'gemini-then-claude');
    assert.match(json.text, /^Mock reply to "whole or streamed":/);
    assert.deepEqual((await gemini.admin.requests()).map((request) => request.fault), ['status']);
    assert.deepEqual(
      (await anthropic.admin.requests()).map((request) => (request.body as { stream?: boolean }).stream),
      [undefined],
    );
  });
});
