/**
 * `parley mock-upstream --mode anthropic` and `--mode gemini`: each speaks its
 * provider's API (routes, auth, request checks, error bodies, model list),
 * answers scripted or replayed streams and whole answers, and injects the
 * same faults as the OpenAI mode, in its own wire format.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, describe, test } from 'node:test';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { FIXTURES } from './helpers/native-fixtures.js';
import { collectSse } from './helpers/sse.js';

const ANTHROPIC_KEY = 'sk-ant-mock';
const GEMINI_KEY = 'gemini-mock';

function post(url: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

describe('mock upstream --mode anthropic', () => {
  let upstream: MockUpstreamProcess;
  const headers = { 'x-api-key': ANTHROPIC_KEY, 'anthropic-version': '2023-06-01' };
  const messages = (body: unknown, extra: Record<string, string> = headers) => post(`${upstream.url}/v1/messages`, body, extra);
  const prompt = { model: 'claude-test', max_tokens: 100, system: 'Be brief.', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }] };

  before(async () => {
    upstream = await spawnMockUpstream(['--mode', 'anthropic', '--api-key', ANTHROPIC_KEY, '--models', 'claude-test', '--chunks', '3', '--reasoning-chunks', '2']);
  });
  after(() => upstream.stop());
  beforeEach(() => upstream.admin.reset());

  test('prints the API root the Anthropic SDKs take, and lists models in Anthropic\'s shape', async () => {
    assert.match(upstream.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${upstream.url}/v1/models`, { headers });
    const body = (await response.json()) as { data: { type: string; id: string }[]; has_more: boolean };
    assert.deepEqual(body.data.map((model) => [model.type, model.id]), [['model', 'claude-test']]);
    assert.equal(body.has_more, false);
  });

  test('streams a thinking block, a text block, cumulative usage and message_stop as named events', async () => {
    const events = await collectSse(await messages({ ...prompt, stream: true }));
    assert.deepEqual(
      events.map((event) => event.event),
      ['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop'],
    );
    for (const event of events) assert.equal(JSON.parse(event.data).type, event.event);
    const text = events.map((event) => JSON.parse(event.data)).filter((data) => data.delta?.type === 'text_delta').map((data) => data.delta.text).join('');
    assert.match(text, /^Mock reply to "Hello": \w+ \w+\.$/);
    assert.deepEqual(JSON.parse(events.at(-2)!.data).usage, { input_tokens: 11, output_tokens: 5 });
  });

  test('answers stream:false with one message whose content blocks hold the thinking and the text', async () => {
    const body = (await (await messages(prompt)).json()) as { type: string; content: { type: string }[]; stop_reason: string };
    assert.equal(body.type, 'message');
    assert.deepEqual(body.content.map((block) => block.type), ['thinking', 'text']);
    assert.equal(body.stop_reason, 'end_turn');
  });

  test('refuses a request without anthropic-version or max_tokens, and a wrong key, in Anthropic\'s error shape', async () => {
    const noVersion = await messages(prompt, { 'x-api-key': ANTHROPIC_KEY });
    assert.equal(noVersion.status, 400);
    assert.deepEqual(await noVersion.json(), { type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' } });
    const noMaxTokens = await messages({ ...prompt, max_tokens: undefined });
    assert.equal(((await noMaxTokens.json()) as { error: { message: string } }).error.message, 'max_tokens: Field required');
    const wrongKey = await messages(prompt, { ...headers, 'x-api-key': 'nope' });
    assert.equal(wrongKey.status, 401);
    assert.equal(((await wrongKey.json()) as { error: { type: string } }).error.type, 'authentication_error');
    const unknown = await messages({ ...prompt, model: 'claude-nope' });
    assert.deepEqual(await unknown.json(), { type: 'error', error: { type: 'not_found_error', message: 'model: claude-nope' } });
  });

  test('status faults carry Anthropic error types; a 429 carries retry-after', async () => {
    await upstream.admin.setOptions({ failStatus: 529 });
    const overloaded = await messages({ ...prompt, stream: true });
    assert.equal(overloaded.status, 529);
    assert.deepEqual(await overloaded.json(), { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    await upstream.admin.setOptions({ failStatus: 429, retryAfterSeconds: 9 });
    const limited = await messages({ ...prompt, stream: true });
    assert.equal(limited.headers.get('retry-after'), '9');
    assert.equal(((await limited.json()) as { error: { type: string } }).error.type, 'rate_limit_error');
  });

  test('errorEventAfter sends an overloaded_error event after N events and ends', async () => {
    await upstream.admin.setOptions({ errorEventAfter: 2 });
    const events = await collectSse(await messages({ ...prompt, stream: true }));
    assert.deepEqual(events.map((event) => event.event), ['message_start', 'content_block_start', 'error']);
    assert.deepEqual(JSON.parse(events[2]!.data), { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
  });
});

describe('mock upstream --mode gemini', () => {
  let upstream: MockUpstreamProcess;
  const headers = { 'x-goog-api-key': GEMINI_KEY };
  const body = { systemInstruction: { parts: [{ text: 'Be brief.' }] }, contents: [{ role: 'user', parts: [{ text: 'Hello' }] }] };
  const stream = (model = 'gemini-2.5-flash', extra: Record<string, string> = headers) => post(`${upstream.url}/models/${model}:streamGenerateContent?alt=sse`, body, extra);

  before(async () => {
    upstream = await spawnMockUpstream(['--mode', 'gemini', '--api-key', GEMINI_KEY, '--models', 'gemini-2.5-flash', '--chunks', '3', '--reasoning-chunks', '2']);
  });
  after(() => upstream.stop());
  beforeEach(() => upstream.admin.reset());

  test('prints the versioned API root and lists models with their generation methods', async () => {
    assert.match(upstream.url, /^http:\/\/127\.0\.0\.1:\d+\/v1beta$/);
    const list = (await (await fetch(`${upstream.url}/models`, { headers })).json()) as { models: { name: string; supportedGenerationMethods: string[] }[] };
    assert.deepEqual(list.models.map((model) => model.name), ['models/gemini-2.5-flash']);
    assert.ok(list.models[0]!.supportedGenerationMethods.includes('generateContent'));
  });

  test('streams thought parts, text parts and a closing chunk with finishReason, usage and a signature', async () => {
    const chunks = (await collectSse(await stream())).map((event) => JSON.parse(event.data));
    assert.equal(chunks.length, 2 + 3 + 1);
    assert.deepEqual(chunks.slice(0, 2).map((chunk) => chunk.candidates[0].content.parts[0]), [{ text: 'First', thought: true }, { text: ' I', thought: true }]);
    const last = chunks.at(-1);
    assert.equal(last.candidates[0].finishReason, 'STOP');
    assert.equal(typeof last.candidates[0].content.parts[0].thoughtSignature, 'string');
    assert.deepEqual(last.usageMetadata, { promptTokenCount: 11, candidatesTokenCount: 3, thoughtsTokenCount: 2, totalTokenCount: 16 });
  });

  test('generateContent answers with the whole response; a replayed recording is assembled the same way', async () => {
    const whole = (await (await post(`${upstream.url}/models/gemini-2.5-flash:generateContent`, body, headers)).json()) as { candidates: { content: { parts: { text: string; thought?: boolean }[] } }[] };
    assert.deepEqual(whole.candidates[0]!.content.parts.map((part) => part.thought === true), [true, false]);
    const file = `${FIXTURES}google-text.chunks.txt`;
    await upstream.admin.setOptions({ replayFile: file });
    const replayed = (await (await post(`${upstream.url}/models/any-model:generateContent`, body, headers)).json()) as {
      candidates: { content: { parts: { text: string; thoughtSignature?: string }[] }; finishReason: string }[];
    };
    const recorded = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const text = recorded.map((chunk) => chunk.candidates[0].content.parts[0].text).join('');
    assert.deepEqual(replayed.candidates[0]!.content.parts.map((part) => part.text), [text]);
    assert.equal(replayed.candidates[0]!.content.parts[0]!.thoughtSignature, recorded.at(-1).candidates[0].content.parts[0].thoughtSignature);
    assert.equal(replayed.candidates[0]!.finishReason, 'STOP');
    const streamed = await (await stream('any-model')).text();
    assert.equal(streamed, recorded.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join(''));
  });

  test('a missing key is 403 PERMISSION_DENIED, a wrong one 400 API_KEY_INVALID, an unknown model 404 NOT_FOUND', async () => {
    const missing = await stream('gemini-2.5-flash', {});
    assert.equal(missing.status, 403);
    assert.equal(((await missing.json()) as { error: { status: string } }).error.status, 'PERMISSION_DENIED');
    const wrong = await stream('gemini-2.5-flash', { 'x-goog-api-key': 'nope' });
    assert.equal(wrong.status, 400);
    assert.equal(((await wrong.json()) as { error: { details: { reason: string }[] } }).error.details[0]!.reason, 'API_KEY_INVALID');
    const viaQuery = await post(`${upstream.url}/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=${GEMINI_KEY}`, body, {});
    assert.equal(viaQuery.status, 200);
    await viaQuery.text();
    const unknown = await stream('gemini-nope');
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { status: string } }).error.status, 'NOT_FOUND');
  });

  test('a 429 fault carries RetryInfo; errorEventAfter sends an error object after N events', async () => {
    await upstream.admin.setOptions({ failStatus: 429, retryAfterSeconds: 12, faultTimes: 1 });
    const limited = (await (await stream()).json()) as { error: { status: string; details: { retryDelay: string }[] } };
    assert.equal(limited.error.status, 'RESOURCE_EXHAUSTED');
    assert.equal(limited.error.details[0]!.retryDelay, '12s');
    await upstream.admin.setOptions({ errorEventAfter: 1 });
    const chunks = (await collectSse(await stream())).map((event) => JSON.parse(event.data));
    assert.equal(chunks.length, 2);
    assert.equal(chunks[1].error.status, 'UNAVAILABLE');
  });
});
