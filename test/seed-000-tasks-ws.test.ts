/**
 * Contract test of seed 000's API (seed-000-deepthink-polling-ws.md): every
 * documented route, field, status code and WebSocket message type, driven the
 * way the seed README's examples drive them — the mobile polling loop, the
 * `ws` client of its JavaScript example — plus what Parley adds: key by query
 * or first message, cancel, resume, expiry and the task cap.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { ChatSocket } from './helpers/chat-socket.js';
import { fixture } from './helpers/fixtures.js';
import { mockAnswer } from './helpers/mock-answer.js';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';

const KEY = 'client1-secret-key';
const OTHER_KEY = 'client2-secret-key';
const BASE_ENV = {
  API_KEYS: `${KEY},${OTHER_KEY}`,
  // Many chats start within a minute here; the rate limiter is tested elsewhere.
  PARLEY_RATE_LIMIT_IP_PER_MINUTE: '0',
  PARLEY_RATE_LIMIT_KEY_PER_MINUTE: '0',
};
const FOLLOWUPS = ['Can you give an example?', 'What should I read next?'];

/** The built-in mock's structured steps for `prompt` (see providers/mock/script.ts). */
function mockSteps(prompt: string) {
  return [
    { step: 1, status: 'analyzing', message: `The user asks about "${prompt.slice(0, 60)}".`, progress: 25 },
    { step: 2, status: 'reasoning', message: 'First I consider what the user needs.', progress: 50 },
    { step: 3, status: 'reasoning', message: 'Then I check the facts before answering.', progress: 50 },
  ];
}

function withoutTimestamps(steps: { step: number; status: string; message: string; progress: number; timestamp: string }[] | undefined) {
  return (steps ?? []).map(({ step, status, message, progress, timestamp }) => {
    assert.ok(!Number.isNaN(Date.parse(timestamp)), `timestamp ${timestamp}`);
    return { step, status, message, progress };
  });
}

/** `GET /chat/status/{task_id}` body. */
interface StatusBody {
  task_id: string;
  status: string;
  step: number;
  message: string;
  progress: number;
  timestamp: string;
}

/** A message as `GET /conversations/{id}/messages` lists it. */
interface StoredMessage {
  id: string;
  role: string;
  content: string;
  status: string;
  parent_id: string | null;
}

function client(server: RunningParley, key = KEY) {
  const headers = { 'x-api-key': key };
  return {
    start: (body: unknown) => requestJson(`${server.url}/chat/start`, { body, headers }),
    status: (taskId: string) => requestJson(`${server.url}/chat/status/${taskId}`, { headers }),
    result: (taskId: string) => requestJson(`${server.url}/chat/result/${taskId}`, { headers }),
    regenerate: (body: unknown) => requestJson(`${server.url}/chat/regenerate`, { body, headers }),
    get: (path: string) => requestJson(server.url + path, { headers }),
    /** The seed's mobile example: poll status until `complete` (or another ending), then fetch the result. */
    async poll(taskId: string, intervalMs = 25) {
      const statuses: StatusBody[] = [];
      for (let attempt = 0; attempt < 1000; attempt += 1) {
        const { status, body } = await this.status(taskId);
        assert.equal(status, 200);
        statuses.push(body);
        if (['complete', 'error', 'cancelled'].includes(body.status)) return { statuses, result: await this.result(taskId) };
        await sleep(intervalMs);
      }
      throw new Error('task never ended');
    },
    /** The conversation a user message landed in, found through the conversations API (seed 001). */
    async conversationWith(content: string) {
      const { body } = await this.get('/conversations');
      for (const conversation of body.conversations) {
        const messages = (await this.get(`/conversations/${conversation.id}/messages`)).body.messages as StoredMessage[];
        if (messages.some((message) => message.role === 'user' && message.content === content)) {
          return { id: conversation.id as string, messages };
        }
      }
      throw new Error(`no conversation holds "${content}"`);
    },
  };
}

function socketUrl(server: RunningParley, query = ''): string {
  return `ws://127.0.0.1:${server.port}/ws/chat${query}`;
}

describe('seed 000: task polling and WebSocket API', () => {
  let server: RunningParley;
  let api: ReturnType<typeof client>;
  before(async () => {
    server = await startParley({ ...BASE_ENV, PARLEY_MOCK_CHUNK_DELAY_MS: '20', HEARTBEAT_INTERVAL: '1' });
    api = client(server);
  });
  after(() => server.stop());

  test('mobile polling example: start, poll /chat/status until complete, then /chat/result', async () => {
    const prompt = 'What is quantum computing?';
    const started = await api.start({ user_id: 'user123', message: prompt, model: 'mock-model' });
    assert.equal(started.status, 200);
    assert.deepEqual(Object.keys(started.body), ['task_id']);
    assert.match(started.body.task_id, /^[0-9a-f-]{36}$/);

    const { statuses, result } = await api.poll(started.body.task_id);
    for (const status of statuses) {
      assert.deepEqual(Object.keys(status).sort(), ['message', 'progress', 'status', 'step', 'task_id', 'timestamp']);
      assert.ok(!Number.isNaN(Date.parse(status.timestamp)));
    }
    const seen = [...new Set(statuses.map((status) => status.status))];
    assert.deepEqual(seen.filter((status) => status !== 'started'), ['analyzing', 'reasoning', 'answering', 'complete']);
    const progress = statuses.map((status) => status.progress);
    assert.deepEqual(progress, [...progress].sort((a, b) => a - b), 'progress never goes back');
    assert.deepEqual({ ...statuses.at(-1), timestamp: undefined }, { task_id: started.body.task_id, status: 'complete', step: 4, message: 'Answer complete.', progress: 100, timestamp: undefined });
    const analyzing = statuses.find((status) => status.status === 'analyzing');
    assert.ok(analyzing !== undefined);
    assert.deepEqual({ step: analyzing.step, message: analyzing.message, progress: analyzing.progress }, { step: 1, message: mockSteps(prompt)[0]!.message, progress: 25 });

    assert.equal(result.status, 200);
    assert.deepEqual(Object.keys(result.body).sort(), ['citations', 'confidence', 'final_answer', 'status', 'suggested_followups', 'task_id', 'thinking_process']);
    assert.deepEqual(withoutTimestamps(result.body.thinking_process), mockSteps(prompt));
    assert.equal(result.body.final_answer, mockAnswer(prompt));
    assert.equal(result.body.confidence, 0.8);
    assert.deepEqual(result.body.suggested_followups, FOLLOWUPS);
    assert.deepEqual(result.body.citations, []);
    assert.equal(result.body.status, 'complete');

    // The history is the user's conversation, shared with /conversations.
    const conversation = await api.conversationWith(prompt);
    assert.deepEqual(
      conversation.messages.map((message) => [message.role, message.content, message.status]),
      [['user', prompt, 'complete'], ['assistant', mockAnswer(prompt), 'complete']],
    );
  });

  test('a result fetched before the task ended is 202 with the current status, never 5xx', async () => {
    const started = await api.start({ user_id: 'early-bird', message: 'Are you done yet?' });
    const early = await api.result(started.body.task_id);
    assert.equal(early.status, 202);
    assert.equal(early.headers.get('retry-after'), '1');
    assert.equal(early.body.task_id, started.body.task_id);
    assert.ok(['started', 'analyzing', 'reasoning', 'answering'].includes(early.body.status), early.body.status);
    assert.equal(typeof early.body.progress, 'number');
    const { result } = await api.poll(started.body.task_id);
    assert.equal(result.status, 200);
  });

  test('unknown task, and another key\'s task, are 404 task_not_found; no key is 401', async () => {
    const started = await api.start({ user_id: 'private-user', message: 'mine only' });
    const other = client(server, OTHER_KEY);
    for (const response of [
      await api.status('00000000-0000-7000-8000-000000000000'),
      await api.result('no-such-task'),
      await other.status(started.body.task_id),
      await other.result(started.body.task_id),
      await other.regenerate({ user_id: 'private-user', last_task_id: started.body.task_id }),
    ]) {
      assert.equal(response.status, 404);
      assert.equal(response.body.error.code, 'task_not_found');
    }
    assert.equal((await requestJson(`${server.url}/chat/status/${started.body.task_id}`)).status, 401);
    assert.equal((await requestJson(`${server.url}/chat/start`, { body: { user_id: 'x', message: 'y' }, headers: { 'x-api-key': 'wrong' } })).status, 403);
    await api.poll(started.body.task_id);
  });

  test('bad input is 400 naming the field', async () => {
    const cases: [string, unknown, string][] = [
      ['/chat/start', { message: 'hi' }, 'user_id'],
      ['/chat/start', { user_id: 'has space', message: 'hi' }, 'user_id'],
      ['/chat/start', { user_id: 'u'.repeat(129), message: 'hi' }, 'user_id'],
      ['/chat/start', { user_id: 'u1' }, 'message'],
      ['/chat/start', { user_id: 'u1', message: '   ' }, 'message'],
      ['/chat/start', { user_id: 'u1', message: 'x'.repeat(32_001) }, 'message'],
      ['/chat/start', { user_id: 'u1', message: 'hi', thinking: 'deep' }, 'thinking'],
      ['/chat/start', { user_id: 'u1', message: 'hi', model: 7 }, 'model'],
      ['/chat/regenerate', { user_id: 'u1' }, 'last_task_id'],
      ['/chat/regenerate', { user_id: 'u1', last_task_id: '../etc' }, 'last_task_id'],
    ];
    for (const [path, body, field] of cases) {
      const response = await requestJson(server.url + path, { body, headers: { 'x-api-key': KEY } });
      assert.equal(response.status, 400, `${path} ${JSON.stringify(body).slice(0, 80)}`);
      assert.equal(response.body.error.code, 'validation_failed');
      assert.match(response.body.error.message, new RegExp(field));
    }
    const badParam = await api.status('not%20valid');
    assert.equal(badParam.status, 400);
  });

  test('a second start for a user whose answer is still streaming is 409 conflict', async () => {
    const first = await api.start({ user_id: 'busy-user', message: 'first question' });
    const second = await api.start({ user_id: 'busy-user', message: 'second question' });
    assert.equal(second.status, 409);
    assert.equal(second.body.error.code, 'conflict');
    await api.poll(first.body.task_id);
  });

  test('WebSocket as in the seed\'s JavaScript example (x-api-key header): connected, thinking_step, answer_chunk, complete', async () => {
    const socket = await ChatSocket.open(socketUrl(server), { headers: { 'x-api-key': KEY } });
    const prompt = 'Explain quantum computing';
    socket.send({ message: prompt, model: 'mock-model' });
    const connected = await socket.next((message) => message.type === 'connected');
    assert.match(connected.task_id ?? '', /^[0-9a-f-]{36}$/);
    assert.match(connected.user_id ?? '', /^ws:/);
    const messages = await socket.untilEnd(connected.task_id!);
    socket.close();

    assert.deepEqual(messages.map((message) => message.seq), messages.map((_message, index) => index + 1), 'seq counts from 1 without gaps');
    const steps = messages.filter((message) => message.type === 'thinking_step');
    const chunks = messages.filter((message) => message.type === 'answer_chunk');
    const complete = messages.at(-1)!;
    assert.deepEqual(withoutTimestamps(steps.map((message) => message.step!)), mockSteps(prompt));
    assert.ok(messages.findIndex((message) => message.type === 'answer_chunk') > messages.findLastIndex((message) => message.type === 'thinking_step'));
    for (const chunk of chunks.slice(0, -1)) assert.equal([...chunk.chunk!].length, 4, JSON.stringify(chunk.chunk));
    assert.ok([...chunks.at(-1)!.chunk!].length >= 1 && [...chunks.at(-1)!.chunk!].length <= 4);
    assert.equal(chunks.map((message) => message.chunk).join(''), mockAnswer(prompt));

    assert.equal(complete.type, 'complete');
    assert.equal(complete.final_answer, mockAnswer(prompt));
    assert.deepEqual(withoutTimestamps(complete.thinking_process), mockSteps(prompt));
    assert.equal(complete.confidence, 0.8);
    assert.deepEqual(complete.suggested_followups, FOLLOWUPS);
    assert.deepEqual(complete.citations, []);
    assert.equal(complete.task_id, connected.task_id);

    // The same task is readable by polling.
    const result = await api.result(connected.task_id!);
    assert.equal(result.body.final_answer, complete.final_answer);
  });

  test('the key may come as ?api_key=, ?token=, a first {type: auth} message, or an api_key field on the first message', async () => {
    const ways: [string, string, unknown[]][] = [
      ['api_key query', `?api_key=${KEY}`, [{ message: 'via query' }]],
      ['token query', `?token=${KEY}`, [{ message: 'via token' }]],
      ['auth message', '', [{ type: 'auth', api_key: KEY }, { message: 'via auth message' }]],
      ['api_key field', '', [{ message: 'via field', api_key: KEY }]],
    ];
    for (const [name, query, sends] of ways) {
      const socket = await ChatSocket.open(socketUrl(server, query));
      for (const message of sends) socket.send(message);
      const connected = await socket.next((message) => message.type === 'connected');
      const messages = await socket.untilEnd(connected.task_id!);
      assert.equal(messages.at(-1)!.type, 'complete', name);
      socket.close();
    }
  });

  test('a bad or missing key gets an error message, then close code 1008', async () => {
    const attempts: [string, string, Record<string, string>, unknown[]][] = [
      ['wrong header', '', { 'x-api-key': 'wrong' }, []],
      ['wrong query', '?api_key=wrong', {}, []],
      ['no key in first message', '', {}, [{ message: 'hello' }]],
      ['wrong key in auth message', '', {}, [{ type: 'auth', api_key: 'wrong' }]],
    ];
    for (const [name, query, headers, sends] of attempts) {
      const socket = await ChatSocket.open(socketUrl(server, query), { headers });
      for (const message of sends) socket.send(message);
      const { code } = await socket.closed;
      assert.equal(code, 1008, name);
      const errors = socket.messages.filter((message) => message.type === 'error');
      assert.equal(errors.length, 1, name);
      assert.match(errors[0]!.code ?? '', /^(missing|invalid)_api_key$/, name);
      assert.equal(socket.messages.filter((message) => message.type === 'connected').length, 0, name);
    }
  });

  test('heartbeat pings arrive every HEARTBEAT_INTERVAL seconds', async () => {
    const socket = await ChatSocket.open(socketUrl(server), { headers: { 'x-api-key': KEY } });
    await sleep(2_300);
    const pings = socket.messages.filter((message) => message.type === 'ping');
    assert.ok(pings.length >= 2 && pings.length <= 3, `${pings.length} pings`);
    assert.deepEqual(pings[0], { type: 'ping' });
    socket.send({ type: 'ping' });
    await socket.next((message) => message.type === 'pong');
    socket.close();
  });

  test('cancel mid-stream stops the answer and stores the partial text as cancelled', async () => {
    const socket = await ChatSocket.open(socketUrl(server), { headers: { 'x-api-key': KEY } });
    const prompt = 'Tell me a long story';
    socket.send({ message: prompt, user_id: 'cancel-user' });
    const connected = await socket.next((message) => message.type === 'connected');
    await socket.next((message) => message.type === 'answer_chunk');
    socket.send({ type: 'cancel' });
    const messages = await socket.untilEnd(connected.task_id!);
    socket.close();
    const ending = messages.at(-1)!;
    assert.equal(ending.type, 'cancelled');
    const full = mockAnswer(prompt);
    assert.ok(ending.final_answer!.length > 0 && ending.final_answer!.length < full.length, ending.final_answer);
    assert.ok(full.startsWith(ending.final_answer!));

    const { messages: stored } = await api.conversationWith(prompt);
    assert.deepEqual(
      stored.map((message) => [message.role, message.status, message.content]),
      [['user', 'complete', prompt], ['assistant', 'cancelled', ending.final_answer]],
    );
    const status = await api.status(connected.task_id!);
    assert.equal(status.body.status, 'cancelled');
    const result = await api.result(connected.task_id!);
    assert.equal(result.status, 200);
    assert.deepEqual([result.body.status, result.body.final_answer], ['cancelled', ending.final_answer]);
  });

  test('another key\'s task in resume or cancel is an error "not found"; bad messages are errors, never a crash', async () => {
    const started = await api.start({ user_id: 'owner-a', message: 'only for key a' });
    const socket = await ChatSocket.open(socketUrl(server), { headers: { 'x-api-key': OTHER_KEY } });
    const sends: [unknown, string, RegExp][] = [
      [{ type: 'resume', task_id: started.body.task_id }, 'task_not_found', /not found/],
      [{ type: 'cancel', task_id: started.body.task_id }, 'task_not_found', /not found/],
      [{ type: 'cancel' }, 'task_not_found', /No running task/],
      ['not json', 'validation_failed', /JSON/],
      [[1, 2], 'validation_failed', /JSON objects/],
      [{ type: 'shout' }, 'validation_failed', /Unknown message type/],
      [{ type: 'resume' }, 'validation_failed', /task_id is required/],
      [{ type: 'resume', task_id: 'bad id!' }, 'validation_failed', /task_id/],
      [{ message: '' }, 'validation_failed', /message/],
      [{ message: 'x'.repeat(32_001) }, 'validation_failed', /message/],
      [{ message: 'hi', thinking: 'deep' }, 'validation_failed', /thinking/],
    ];
    for (const [send, code, detail] of sends) {
      socket.send(send);
      const error = await socket.next((message) => message.type === 'error');
      assert.equal(error.code, code, JSON.stringify(send).slice(0, 60));
      assert.match(error.detail ?? '', detail);
    }
    socket.send({ message: 'still works', user_id: 'owner-b' });
    const connected = await socket.next((message) => message.type === 'connected');
    assert.equal((await socket.untilEnd(connected.task_id!)).at(-1)!.type, 'complete');
    socket.close();
    await api.poll(started.body.task_id);
  });

  test('native thinking with mock-reasoner yields its reasoning as steps', async () => {
    const prompt = 'Think natively';
    const started = await api.start({ user_id: 'native-user', message: prompt, model: 'mock-reasoner', thinking: 'native' });
    const { result } = await api.poll(started.body.task_id);
    assert.deepEqual(withoutTimestamps(result.body.thinking_process), [
      { step: 1, status: 'reasoning', message: 'First I read the question carefully. Then I plan a short answer', progress: 10 },
    ]);
    assert.equal(result.body.final_answer, mockAnswer(prompt));
    assert.equal(result.body.confidence, null);
    assert.deepEqual(result.body.suggested_followups, []);

    const socket = await ChatSocket.open(socketUrl(server), { headers: { 'x-api-key': KEY } });
    socket.send({ message: prompt, model: 'mock-reasoner', thinking: 'native', user_id: 'native-ws' });
    const connected = await socket.next((message) => message.type === 'connected');
    const messages = await socket.untilEnd(connected.task_id!);
    socket.close();
    assert.deepEqual(messages.filter((message) => message.type === 'thinking_step').map((message) => message.step!.status), ['reasoning']);
  });

  test('regenerate gives a new task whose answer becomes the active branch; the old answer stays stored', async () => {
    const prompt = 'Regenerate me';
    const first = await api.start({ user_id: 'regen-user', message: prompt });
    const firstResult = (await api.poll(first.body.task_id)).result.body;
    assert.equal((await api.regenerate({ user_id: 'someone-else', last_task_id: first.body.task_id })).status, 404);

    const again = await api.regenerate({ user_id: 'regen-user', last_task_id: first.body.task_id });
    assert.equal(again.status, 200);
    assert.notEqual(again.body.task_id, first.body.task_id);
    const secondResult = (await api.poll(again.body.task_id)).result.body;
    assert.equal(secondResult.status, 'complete');
    assert.deepEqual(withoutTimestamps(secondResult.thinking_process), mockSteps(prompt));

    const conversation = await api.conversationWith(prompt);
    assert.equal(conversation.messages.length, 2);
    const [question, answer] = conversation.messages;
    assert.ok(question !== undefined && answer !== undefined);
    assert.equal(answer.parent_id, question.id);
    // The first task's answer, read from the store: its run row names the message.
    const runRow = await server.parley.core.store.database
      .selectFrom('runs')
      .select('message_id')
      .where('id', '=', first.body.task_id)
      .executeTakeFirstOrThrow();
    const oldAnswer = await server.parley.core.store.messages.get(conversation.id, runRow.message_id!);
    assert.ok(oldAnswer !== undefined, 'the old answer is still stored');
    assert.notEqual(oldAnswer.id, answer.id);
    assert.equal(oldAnswer.active, 0);
    assert.equal(oldAnswer.parent_id, question.id);
    assert.equal(oldAnswer.content, firstResult.final_answer);
    // The old task still reads as it was.
    assert.equal((await api.result(first.body.task_id)).body.final_answer, firstResult.final_answer);
    // The active answer is the new task's.
    const newRun = await server.parley.core.store.database
      .selectFrom('runs')
      .select('message_id')
      .where('id', '=', again.body.task_id)
      .executeTakeFirstOrThrow();
    assert.equal(answer.id, newRun.message_id);
    assert.equal(answer.content, secondResult.final_answer);
  });

  test('GET /ws/chat without an upgrade is 426; the routes are in the OpenAPI document', async () => {
    const plain = await requestJson(`${server.url}/ws/chat`);
    assert.equal(plain.status, 426);
    assert.equal(plain.body.error.code, 'upgrade_required');
    const { body } = await requestJson(`${server.url}/openapi.json`);
    for (const [path, method] of [
      ['/chat/start', 'post'],
      ['/chat/status/{task_id}', 'get'],
      ['/chat/result/{task_id}', 'get'],
      ['/chat/regenerate', 'post'],
      ['/ws/chat', 'get'],
    ] as const) {
      const operation = body.paths[path]?.[method];
      assert.ok(operation, `${method} ${path}`);
      assert.deepEqual(operation.tags, ['tasks']);
      assert.match(operation.summary, /seed 000/);
    }
  });
});

describe('seed 000: task expiry and cap', () => {
  test('a task is 404 once PARLEY_TASK_TTL_SECONDS passed; before that, expired run events fall back to the stored answer', async () => {
    const server = await startParley({ ...BASE_ENV, PARLEY_TASK_TTL_SECONDS: '3', PARLEY_RUN_LOG_TTL_SECONDS: '1' });
    try {
      const api = client(server);
      const prompt = 'Expire me';
      const started = await api.start({ user_id: 'ttl-user', message: prompt });
      const startedAt = Date.now();
      await api.poll(started.body.task_id, 10);
      await sleep(1_300);
      assert.equal(await server.parley.core.log.has(started.body.task_id), false, 'the run log expired first');
      const fallback = await api.result(started.body.task_id);
      assert.equal(fallback.status, 200);
      assert.deepEqual(
        [fallback.body.status, fallback.body.final_answer, fallback.body.thinking_process, fallback.body.confidence],
        ['complete', mockAnswer(prompt), [], null],
      );
      assert.equal((await api.status(started.body.task_id)).body.status, 'complete');

      await sleep(Math.max(0, startedAt + 3_100 - Date.now()));
      for (const response of [await api.status(started.body.task_id), await api.result(started.body.task_id)]) {
        assert.equal(response.status, 404);
        assert.equal(response.body.error.code, 'task_not_found');
      }
      const socket = await ChatSocket.open(socketUrl(server), { headers: { 'x-api-key': KEY } });
      socket.send({ type: 'resume', task_id: started.body.task_id });
      assert.equal((await socket.next((message) => message.type === 'error')).code, 'task_not_found');
      socket.close();
    } finally {
      await server.stop();
    }
  });

  test('PARLEY_TASK_MAX caps the tasks remembered, forgetting the oldest first', async () => {
    const server = await startParley({ ...BASE_ENV, PARLEY_TASK_MAX: '2' });
    try {
      const api = client(server);
      const ids: string[] = [];
      for (const user of ['cap-1', 'cap-2', 'cap-3']) ids.push((await api.start({ user_id: user, message: `hello from ${user}` })).body.task_id);
      assert.equal((await api.status(ids[0]!)).status, 404);
      for (const id of ids.slice(1)) await api.poll(id, 10);
      assert.equal(await server.parley.core.services.tasks.count(), 2);
    } finally {
      await server.stop();
    }
  });
});

describe('seed 000: structured thinking from a real upstream', () => {
  let upstream: MockUpstreamProcess;
  let server: RunningParley;
  before(async () => {
    upstream = await spawnMockUpstream([]);
    server = await startParley({ ...BASE_ENV, PARLEY_PROVIDER_BASE_URL: upstream.url, MODEL_NAME: 'recorded' });
  });
  after(async () => {
    await server.stop();
    await upstream.stop();
  });

  test('structured thinking replayed from a recorded upstream stream yields the expected steps', async () => {
    await upstream.admin.setOptions({ replayFile: fixture('structured-thinking.chunks.txt') });
    const api = client(server);
    const started = await api.start({ user_id: 'replay-user', message: 'What is a qubit?' });
    const { result } = await api.poll(started.body.task_id, 10);
    assert.deepEqual(withoutTimestamps(result.body.thinking_process), [
      { step: 1, status: 'analyzing', message: 'The user wants to know what a qubit is and how it differs from a classical bit.', progress: 25 },
      { step: 2, status: 'reasoning', message: 'A classical bit is either 0 or 1.', progress: 50 },
      { step: 3, status: 'reasoning', message: 'A qubit can be in a superposition of both until it is measured.', progress: 50 },
    ]);
    assert.equal(
      result.body.final_answer,
      'A qubit is the basic unit of quantum information. Unlike a bit, it can be in a superposition of 0 and 1.\n\nMeasuring it gives 0 or 1 with probabilities set by its state.',
    );
    assert.equal(result.body.confidence, 0.85);
    assert.deepEqual(result.body.suggested_followups, ['What is superposition?', 'How are qubits built?', 'What is entanglement?']);

    // The structured prompt went upstream in the one call.
    const requests = await upstream.admin.requests();
    assert.equal(requests.length, 1);
    assert.match(JSON.stringify(requests[0]), /ANALYZE:/);

    // The WebSocket view of the same task re-cuts the answer into 4-character chunks.
    const socket = await ChatSocket.open(socketUrl(server), { headers: { 'x-api-key': KEY } });
    socket.send({ type: 'resume', task_id: started.body.task_id });
    await socket.next((message) => message.type === 'connected');
    const messages = await socket.untilEnd(started.body.task_id);
    socket.close();
    const chunks = messages.filter((message) => message.type === 'answer_chunk').map((message) => message.chunk!);
    assert.ok(chunks.slice(0, -1).every((chunk) => [...chunk].length === 4));
    assert.equal(chunks.join(''), result.body.final_answer);
  });
});
