// Contract test of seed-004-json-sse-history-memory.md, driven the way its
// README's curl and `requests` examples drive it.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { EventSourceMessage } from 'eventsource-parser';
import { mockScript } from '../src/providers/mock/script.js';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { conversationsOf, historyOf } from './helpers/history.js';
import { mockAnswer, mockChunks } from './helpers/mock-answer.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { collectSse, readSse } from './helpers/sse.js';

/** Rate limits off: these tests send many chat requests from one address on purpose. */
const NO_RATE_LIMITS = { PARLEY_RATE_LIMIT_IP_PER_MINUTE: '0', PARLEY_RATE_LIMIT_KEY_PER_MINUTE: '0' };
const RUN_EVENT_ID = /^[0-9a-f-]{36}:\d+$/;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The stream the seed documents for `prompt`: content chunks, the done object, `[DONE]`. */
function documentedStream(prompt: string): string[] {
  return [
    ...mockChunks(prompt).map((content) => JSON.stringify({ content, done: false })),
    JSON.stringify({ content: '', done: true }),
    '[DONE]',
  ];
}

describe('JSON SSE chat (seed 004)', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley({ ...NO_RATE_LIMITS, PARLEY_MOCK_CHUNK_DELAY_MS: '5' });
  });
  after(() => server.stop());
  const stream = (body: unknown, headers?: Record<string, string>) => postJson(`${server.url}/api/chat`, body, headers);
  const simple = (body: unknown) => requestJson(`${server.url}/api/chat/simple`, { body });
  const history = (userId: string) => historyOf(server.url, userId);

  test('POST /api/chat streams {"content", "done": false} per delta, {"content": "", "done": true}, then [DONE]', async () => {
    const prompt = 'What is the capital of France?';
    const response = await stream({ user_id: 'user123', message: prompt });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    const events = await collectSse(response);
    assert.deepEqual(
      events.map((event) => event.data),
      documentedStream(prompt),
    );
    assert.ok(events.every((event) => event.event === undefined && RUN_EVENT_ID.test(event.id ?? '')));
  });

  test("the README's requests loop (json.loads each data: line until [DONE]) prints exactly the answer", async () => {
    const prompt = 'Tell me a story';
    const text = await (await stream({ user_id: 'story-1', message: prompt })).text();
    let printed = '';
    for (const line of text.split('\n')) {
      if (line === '' || !line.startsWith('data: ')) continue;
      const data = line.slice(6);
      if (data === '[DONE]') break;
      printed += (JSON.parse(data) as { content: string }).content;
    }
    assert.equal(printed, mockAnswer(prompt));
  });

  test('POST /api/chat/simple answers user_id, message, response and timestamp', async () => {
    const prompt = 'Hello, how are you?';
    const { status, body } = await simple({ user_id: 'simple-1', message: prompt });
    assert.equal(status, 200);
    assert.deepEqual(
      { user_id: body.user_id, message: body.message, response: body.response, model: body.model },
      { user_id: 'simple-1', message: prompt, response: mockAnswer(prompt), model: 'mock-model' },
    );
    assert.match(body.timestamp, ISO_TIME);
    const [exchange] = (await history('simple-1')).history;
    assert.equal(exchange?.timestamp, body.timestamp);
  });

  test('GET /api/chat/history/{user_id}: the exchanges in order, with timestamp, user_message, assistant_response, and count', async () => {
    await collectSse(await stream({ user_id: 'history-1', message: 'Hello' }));
    await simple({ user_id: 'history-1', message: 'And again' });
    const body = await history('history-1');
    assert.equal(body.user_id, 'history-1');
    assert.equal(body.count, 2);
    assert.deepEqual(
      body.history.map((entry) => [entry.user_message, entry.assistant_response, entry.status]),
      [
        ['Hello', mockAnswer('Hello'), 'complete'],
        ['And again', mockAnswer('And again'), 'complete'],
      ],
    );
    const times = body.history.map((entry) => entry.timestamp);
    assert.ok(times.every((time) => ISO_TIME.test(time)));
    assert.deepEqual(times, [...times].sort());
  });

  test('an unknown user has an empty history, and asking does not create one', async () => {
    const before = (await conversationsOf(server.url)).length;
    assert.deepEqual(await history('nobody-yet'), { user_id: 'nobody-yet', history: [], count: 0 });
    assert.equal((await conversationsOf(server.url)).length, before);
  });

  test('DELETE /api/chat/history/{user_id} clears the history; the next turn starts fresh', async () => {
    await simple({ user_id: 'clear-1', message: 'remember me' });
    await simple({ user_id: 'clear-1', message: 'and this' });
    const cleared = await requestJson(`${server.url}/api/chat/history/clear-1`, { method: 'DELETE' });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body.user_id, 'clear-1');
    assert.equal(cleared.body.deleted_messages, 4);
    assert.equal(typeof cleared.body.message, 'string');
    assert.deepEqual(await history('clear-1'), { user_id: 'clear-1', history: [], count: 0 });
    await simple({ user_id: 'clear-1', message: 'fresh start' });
    assert.deepEqual((await history('clear-1')).history.map((entry) => entry.user_message), ['fresh start']);
    const unknown = await requestJson(`${server.url}/api/chat/history/never-seen`, { method: 'DELETE' });
    assert.equal(unknown.status, 200);
    assert.equal(unknown.body.deleted_messages, 0);
  });

  test('DELETE while an answer streams stops it: the stream ends with done, cancelled, then [DONE]', async () => {
    const response = await stream({ user_id: 'clear-2', message: 'long answer' });
    const events: EventSourceMessage[] = [];
    for await (const event of readSse(response)) {
      events.push(event);
      if (events.length === 3) {
        assert.equal((await requestJson(`${server.url}/api/chat/history/clear-2`, { method: 'DELETE' })).status, 200);
      }
    }
    assert.deepEqual(
      events.slice(-2).map((event) => event.data),
      [JSON.stringify({ content: '', done: true, cancelled: true }), '[DONE]'],
    );
    assert.equal((await history('clear-2')).count, 0);
  });

  test('GET /api/health answers healthy with service, version and timestamp', async () => {
    const { status, body } = await requestJson(`${server.url}/api/health`);
    assert.equal(status, 200);
    assert.equal(body.status, 'healthy');
    assert.equal(body.service, 'Parley');
    assert.equal(typeof body.version, 'string');
    assert.match(body.timestamp, ISO_TIME);
  });

  test('GET /api/health/detailed runs real checks: database, providers, active runs, uptime', async () => {
    const response = await stream({ user_id: 'health-1', message: 'busy' });
    const during = await requestJson(`${server.url}/api/health/detailed`);
    assert.equal(during.status, 200);
    assert.equal(during.body.status, 'healthy');
    assert.deepEqual(during.body.checks.database, { status: 'ok' });
    assert.deepEqual(during.body.checks.providers, { status: 'ok', default: 'mock', names: ['mock'], mock_only: true });
    assert.equal(during.body.checks.runs.active, 1);
    assert.ok(Number.isInteger(during.body.uptime_seconds) && during.body.uptime_seconds >= 0);
    assert.equal(during.body.system.node_version, process.version);
    await collectSse(response);
    let active = 1;
    for (let attempt = 0; attempt < 50 && active !== 0; attempt += 1) {
      active = (await requestJson(`${server.url}/api/health/detailed`)).body.checks.runs.active;
      if (active !== 0) await sleep(10);
    }
    assert.equal(active, 0);
  });

  test('bad bodies and ids are 400 naming the field, on every route', async () => {
    const bodies: [unknown, string][] = [
      [{ message: 'hi' }, 'user_id'],
      [{ user_id: 'u1' }, 'message'],
      [{ user_id: 'u1', message: '' }, 'message'],
      [{ user_id: 'u1', message: 5 }, 'message'],
      [{ user_id: 'u1', message: 'x'.repeat(32_001) }, 'message'],
      [{ user_id: 'has space', message: 'hi' }, 'user_id'],
      [{ user_id: 'u'.repeat(129), message: 'hi' }, 'user_id'],
      [{ user_id: 42, message: 'hi' }, 'user_id'],
      ['{"user_id": "u1", ', 'JSON'],
    ];
    for (const path of ['/api/chat', '/api/chat/simple']) {
      for (const [body, field] of bodies) {
        const response = await requestJson(`${server.url}${path}`, { body });
        assert.equal(response.status, 400, `${path} ${JSON.stringify(body).slice(0, 60)}`);
        assert.match(response.body.error.message, new RegExp(field), `${path} ${JSON.stringify(body).slice(0, 60)}`);
      }
    }
    for (const method of ['GET', 'DELETE']) {
      for (const id of ['bad%20id', 'semi%3Bcolon', 'dot%2F..']) {
        const response = await requestJson(`${server.url}/api/chat/history/${id}`, { method });
        assert.equal(response.status, 400, `${method} ${id}`);
        assert.match(response.body.error.message, /user_id/);
      }
    }
    assert.equal((await history('u1')).count, 0);
  });

  test(
    'user_ids up to the 128-character limit reach the history routes; longer ones are 400',
    async () => {
      const longest = 'u'.repeat(128);
      await requestJson(`${server.url}/api/chat/simple`, { body: { user_id: longest, message: 'long id' } });
      const listed = await requestJson(`${server.url}/api/chat/history/${longest}`);
      assert.equal(listed.status, 200);
      assert.equal(listed.body.count, 1);
      const tooLong = await requestJson(`${server.url}/api/chat/history/${longest}u`);
      assert.equal(tooLong.status, 400);
      assert.match(tooLong.body.error.message, /user_id/);
    },
  );

  test("a second message while the user's answer still streams is 409 conflict, on both chat routes", async () => {
    const first = await stream({ user_id: 'busy-1', message: 'slow one' });
    for (const path of ['/api/chat', '/api/chat/simple']) {
      const second = await requestJson(`${server.url}${path}`, { body: { user_id: 'busy-1', message: 'too soon' } });
      assert.equal(second.status, 409, path);
      assert.equal(second.body.error.code, 'conflict');
    }
    await collectSse(first);
    assert.deepEqual((await history('busy-1')).history.map((entry) => entry.user_message), ['slow one']);
  });

});

describe('JSON SSE chat (seed 004) with a reasoning model', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley({ ...NO_RATE_LIMITS, MODEL_NAME: 'mock-reasoner' });
  });
  after(() => server.stop());

  test('reasoning rides along as {"content": "", "reasoning": …} before the answer; content alone is the answer', async () => {
    const events = await collectSse(await postJson(`${server.url}/api/chat`, { user_id: 'thinker', message: 'think' }));
    const data = events.slice(0, -1).map((event) => JSON.parse(event.data) as { content: string; reasoning?: string; done: boolean });
    const reasoning = data.filter((item) => item.reasoning !== undefined);
    assert.ok(reasoning.every((item) => item.content === '' && !item.done));
    const expectedReasoning = mockScript({ model: 'mock-reasoner', messages: [{ role: 'user', content: 'think' }] }, { reasoningChunks: 12 }).reasoning;
    assert.deepEqual(
      reasoning.map((item) => item.reasoning),
      expectedReasoning,
    );
    assert.ok(data.findLastIndex((item) => item.reasoning !== undefined) < data.findIndex((item) => item.content !== ''));
    assert.equal(data.map((item) => item.content).join(''), mockAnswer('think'));
    const simple = await requestJson(`${server.url}/api/chat/simple`, { body: { user_id: 'thinker-2', message: 'think' } });
    assert.equal(simple.body.response, mockAnswer('think'));
    assert.equal(simple.body.model, 'mock-reasoner');
  });
});

describe('JSON SSE chat (seed 004) with client keys', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley({ ...NO_RATE_LIMITS, API_KEYS: 'key-one' });
  });
  after(() => server.stop());

  test('both health routes answer without a key; chat and history need one', async () => {
    assert.equal((await requestJson(`${server.url}/api/health`)).status, 200);
    assert.equal((await requestJson(`${server.url}/api/health/detailed`)).status, 200);
    assert.equal((await requestJson(`${server.url}/api/chat`, { body: { user_id: 'u', message: 'hi' } })).status, 401);
    assert.equal((await requestJson(`${server.url}/api/chat/simple`, { body: { user_id: 'u', message: 'hi' } })).status, 401);
    assert.equal((await requestJson(`${server.url}/api/chat/history/u`)).status, 401);
    const authorized = await requestJson(`${server.url}/api/chat/simple`, {
      body: { user_id: 'u', message: 'hi' },
      headers: { authorization: 'Bearer key-one' },
    });
    assert.equal(authorized.status, 200);
  });
});

describe('JSON SSE chat (seed 004) when the database is down', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley(NO_RATE_LIMITS);
  });
  after(() => server.stop().catch(() => undefined));

  test('detailed health is 503 unhealthy with the database check failed; basic health still answers', async () => {
    await server.parley.core.store.close();
    const detailed = await requestJson(`${server.url}/api/health/detailed`);
    assert.equal(detailed.status, 503);
    assert.equal(detailed.body.status, 'unhealthy');
    assert.deepEqual(detailed.body.checks.database, { status: 'error' });
    assert.equal((await requestJson(`${server.url}/api/health`)).status, 200);
  });
});

describe('JSON SSE chat (seed 004) over a real upstream', () => {
  let upstream: MockUpstreamProcess;
  let server: RunningParley;
  before(async () => {
    upstream = await spawnMockUpstream(['--chunks', '12']);
    server = await startParley({ ...NO_RATE_LIMITS, PARLEY_PROVIDER_BASE_URL: upstream.url, PARLEY_UPSTREAM_RETRIES: '0', MODEL_NAME: 'mock-model' });
  });
  after(async () => {
    await server.stop();
    await upstream.stop();
  });
  beforeEach(() => upstream.admin.reset());
  const history = (userId: string) => historyOf(server.url, userId);
  const upstreamAnswer = (prompt: string) =>
    mockScript({ model: 'mock-model', messages: [{ role: 'user', content: prompt }] }, { chunkCount: 12 }).content.join('');

  test('a provider failure before the first token is its HTTP status (429 with Retry-After), on both chat routes', async () => {
    for (const path of ['/api/chat', '/api/chat/simple']) {
      await upstream.admin.setOptions({ failStatus: 429, retryAfterSeconds: 3, faultTimes: 1 });
      const response = await requestJson(`${server.url}${path}`, { body: { user_id: 'limited-1', message: 'hi' } });
      assert.equal(response.status, 429, path);
      assert.equal(response.headers.get('retry-after'), '3');
      assert.equal(response.body.error.code, 'upstream_rate_limited');
    }
    assert.deepEqual((await history('limited-1')).history.map((entry) => entry.status), ['failed', 'failed']);
  });

  test('a stream that breaks mid-answer ends with done, error and code, then [DONE]; simple answers 502', async () => {
    await upstream.admin.setOptions({ dropAfter: 4, faultTimes: 1 });
    const events = (await collectSse(await postJson(`${server.url}/api/chat`, { user_id: 'dropped-1', message: 'hi' }))).map((event) => event.data);
    assert.equal(events.at(-1), '[DONE]');
    const final = JSON.parse(events.at(-2)!);
    assert.deepEqual({ content: final.content, done: final.done, code: final.code }, { content: '', done: true, code: 'upstream_unavailable' });
    assert.equal(typeof final.error, 'string');
    const text = events.slice(0, -2).map((data) => (JSON.parse(data) as { content: string; done: boolean }).content).join('');
    assert.ok(text.length > 0 && upstreamAnswer('hi').startsWith(text));

    await upstream.admin.setOptions({ dropAfter: 4, faultTimes: 1 });
    const simple = await requestJson(`${server.url}/api/chat/simple`, { body: { user_id: 'dropped-2', message: 'hi' } });
    assert.equal(simple.status, 502);
    assert.equal(simple.body.error.code, 'upstream_unavailable');
  });

  test("memory: each turn is answered with the user's history sent upstream", async () => {
    await requestJson(`${server.url}/api/chat/simple`, { body: { user_id: 'memory-1', message: 'My name is Ada.' } });
    await collectSse(await postJson(`${server.url}/api/chat`, { user_id: 'memory-1', message: 'What is my name?' }));
    // The system prompt (whatever is configured) comes first; the history is the rest.
    const sent = (await upstream.admin.requests()).map((request) =>
      (request.body as { messages: { role: string }[] }).messages.filter((message) => message.role !== 'system'),
    );
    assert.deepEqual(sent, [
      [{ role: 'user', content: 'My name is Ada.' }],
      [
        { role: 'user', content: 'My name is Ada.' },
        { role: 'assistant', content: upstreamAnswer('My name is Ada.') },
        { role: 'user', content: 'What is my name?' },
      ],
    ]);
  });
});
