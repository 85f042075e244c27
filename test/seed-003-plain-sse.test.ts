// Contract test of seed-003-sse-session-auth.md, driven the way its README's
// curl and httpx examples drive it: POST /chat with x-api-key, read `data:` lines.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { frameSse } from '../src/http/streaming/sse.js';
import { mockScript } from '../src/providers/mock/script.js';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { conversationsOf, historyOf, type HistoryBody } from './helpers/history.js';
import { mockAnswer, mockChunks, rawFrames } from './helpers/mock-answer.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { upstreamStream } from './helpers/fixtures.js';
import { collectSse } from './helpers/sse.js';

/** Rate limits off: these tests send many chat requests from one address on purpose. */
const NO_RATE_LIMITS = { PARLEY_RATE_LIMIT_IP_PER_MINUTE: '0', PARLEY_RATE_LIMIT_KEY_PER_MINUTE: '0' };
const KEY = 'seed-003-internal-key';
const OTHER_KEY = 'seed-003-other-key';
const RUN_EVENT_ID = /^[0-9a-f-]{36}:\d+$/;

/** The mock upstream's answer when started with `--chunks 12`. */
function upstreamAnswer(prompt: string): string {
  return mockScript({ model: 'mock-model', messages: [{ role: 'user', content: prompt }] }, { chunkCount: 12 }).content.join('');
}

function chatRequest(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/chat`, {
    method: 'POST',
    headers: { 'x-api-key': KEY, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The session's exchanges, read through the seed 004 view of the same history. */
function exchanges(url: string, sessionId: string, key = KEY): Promise<HistoryBody> {
  return historyOf(url, sessionId, { 'x-api-key': key });
}

describe('plain SSE chat (seed 003)', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley({ ...NO_RATE_LIMITS, INTERNAL_API_KEY: KEY, API_KEYS: OTHER_KEY, PARLEY_MOCK_CHUNK_DELAY_MS: '5' });
  });
  after(() => server.stop());
  const chat = (body: unknown, headers?: Record<string, string>) => chatRequest(server.url, body, headers);

  test('GET /health answers the documented status, model and version without a key', async () => {
    const { status, body } = await requestJson(`${server.url}/health`);
    assert.equal(status, 200);
    assert.equal(body.status, 'healthy');
    assert.equal(body.model, 'mock-model');
    assert.equal(typeof body.version, 'string');
  });

  test('POST /chat without x-api-key is 401, with a wrong key 403, and stores nothing', async () => {
    const missing = await requestJson(`${server.url}/chat`, { body: { message: 'hi', session_id: 'auth-1' } });
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error.code, 'missing_api_key');
    const wrong = await requestJson(`${server.url}/chat`, { body: { message: 'hi', session_id: 'auth-1' }, headers: { 'x-api-key': 'nope' } });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.error.code, 'invalid_api_key');
    assert.equal((await exchanges(server.url, 'auth-1')).count, 0);
  });

  test('streams data: <text> per delta, then event: done / data: [DONE]', async () => {
    const prompt = 'Hello, can you help me with Python?';
    const response = await chat({ message: prompt, session_id: 'test-session-1' });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assert.equal(response.headers.get('x-session-id'), 'test-session-1');
    const events = await collectSse(response);
    assert.deepEqual(
      events.map((event) => ({ event: event.event, data: event.data })),
      [...mockChunks(prompt).map((text) => ({ event: undefined, data: text })), { event: 'done', data: '[DONE]' }],
    );
    assert.ok(events.every((event) => RUN_EVENT_ID.test(event.id ?? '')));
    const history = await exchanges(server.url, 'test-session-1');
    assert.equal(history.count, 1);
    assert.equal(history.history[0]?.assistant_response, mockAnswer(prompt));
  });

  test('the wire matches the README: data:<space><text>, leading spaces kept, one id per message', async () => {
    const frames = await rawFrames(await chat({ message: 'Explain async/await in Python', session_id: 'wire-1' }));
    const chunks = mockChunks('Explain async/await in Python');
    assert.equal(frames.length, chunks.length + 1);
    for (const [index, chunk] of chunks.entries()) {
      assert.match(frames[index]![0]!, /^id: [0-9a-f-]{36}:\d+$/);
      assert.deepEqual(frames[index]!.slice(1), [`data: ${chunk}`]);
    }
    // Word chunks start with a space: `data:  be` on the wire, as the README shows.
    assert.equal(frames[1]![1]!.startsWith('data:  '), true);
    assert.deepEqual([frames.at(-1)![0], frames.at(-1)![2]], ['event: done', 'data: [DONE]']);
    const seqs = frames.map((frame) => Number(frame.find((line) => line.startsWith('id: '))!.split(':').at(-1)));
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.equal(new Set(seqs).size, seqs.length);
  });

  test("the README's httpx loop (print line[6:] of every data: line) prints the answer, then [DONE]", async () => {
    const prompt = 'Hello!';
    const response = await chat({ message: prompt, session_id: 'test-1' });
    const text = await response.text();
    const printed = text
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => line.slice(6))
      .join('');
    assert.equal(printed, `${mockAnswer(prompt)}[DONE]`);
  });

  test('frameSse frames multi-line text as one data: line per line (LF, CRLF, CR), which clients join with \\n', () => {
    const frame = frameSse({ data: 'def f():\n    return 1\r\n\r\nprint(f())\rdone' });
    assert.equal(frame, 'data: def f():\ndata:     return 1\ndata: \ndata: print(f())\ndata: done\n\n');
    const parsed: EventSourceMessage[] = [];
    createParser({ onEvent: (message) => parsed.push(message) }).feed(frame);
    assert.equal(parsed.length, 1);
    assert.equal(parsed[0]!.data, 'def f():\n    return 1\n\nprint(f())\ndone');
  });

  test('without session_id a session is generated and returned in X-Session-ID; sending it back continues the history', async () => {
    const first = await chat({ message: 'first turn' });
    const sessionId = first.headers.get('x-session-id') ?? '';
    assert.match(sessionId, /^[0-9a-f-]{36}$/);
    await collectSse(first);
    const nulled = await chat({ message: 'null session', session_id: null });
    assert.notEqual(nulled.headers.get('x-session-id'), sessionId);
    await collectSse(nulled);
    const second = await chat({ message: 'second turn', session_id: sessionId });
    assert.equal(second.headers.get('x-session-id'), sessionId);
    await collectSse(second);
    const history = await exchanges(server.url, sessionId);
    assert.equal(history.count, 2);
    assert.deepEqual(
      history.history.map((entry) => [entry.user_message, entry.assistant_response]),
      [
        ['first turn', mockAnswer('first turn')],
        ['second turn', mockAnswer('second turn')],
      ],
    );
  });

  test('sessions belong to the key: the same session_id under another key is another history', async () => {
    await collectSse(await chat({ message: 'mine', session_id: 'shared-name' }));
    await collectSse(await chat({ message: 'theirs', session_id: 'shared-name' }, { 'x-api-key': OTHER_KEY }));
    assert.deepEqual((await exchanges(server.url, 'shared-name')).history.map((entry) => entry.user_message), ['mine']);
    assert.deepEqual(
      (await exchanges(server.url, 'shared-name', OTHER_KEY)).history.map((entry) => entry.user_message),
      ['theirs'],
    );
  });

  test('bad bodies are 400 naming the field, and store nothing', async () => {
    const cases: [unknown, string][] = [
      [{}, 'message'],
      [{ message: '' }, 'message'],
      [{ message: 42 }, 'message'],
      [{ message: 'x'.repeat(32_001) }, 'message'],
      [{ message: 'hi', session_id: 'has space' }, 'session_id'],
      [{ message: 'hi', session_id: 'a/b' }, 'session_id'],
      [{ message: 'hi', session_id: 's'.repeat(129) }, 'session_id'],
      [{ message: 'hi', session_id: 7 }, 'session_id'],
      [{ message: 'hi', session_id: '' }, 'session_id'],
      ['{"message": ', 'JSON'],
    ];
    const conversations = () => conversationsOf(server.url, { 'x-api-key': KEY });
    const before = await conversations();
    for (const [body, field] of cases) {
      const response = await chat(body);
      assert.equal(response.status, 400, JSON.stringify(body).slice(0, 60));
      const error = ((await response.json()) as { error: { code: string; message: string } }).error;
      assert.match(error.message, new RegExp(field), JSON.stringify(body).slice(0, 60));
    }
    assert.deepEqual(await conversations(), before);
  });

  test("a second message while the session's answer still streams is 409 conflict", async () => {
    const first = await chat({ message: 'slow one', session_id: 'busy-1' });
    const second = await requestJson(`${server.url}/chat`, { body: { message: 'too soon', session_id: 'busy-1' }, headers: { 'x-api-key': KEY } });
    assert.equal(second.status, 409);
    assert.equal(second.body.error.code, 'conflict');
    await collectSse(first);
    assert.deepEqual((await exchanges(server.url, 'busy-1')).history.map((entry) => entry.user_message), ['slow one']);
  });

});

describe('plain SSE chat (seed 003) from a browser origin', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley({ ...NO_RATE_LIMITS, CORS_ORIGINS: 'http://localhost:5173' });
  });
  after(() => server.stop());

  test('CORS lets the page read X-Session-ID', async () => {
    const response = await chatRequest(server.url, { message: 'hi' }, { origin: 'http://localhost:5173' });
    assert.equal(response.headers.get('access-control-allow-origin'), 'http://localhost:5173');
    const exposed = (response.headers.get('access-control-expose-headers') ?? '').split(',').map((name) => name.trim());
    assert.ok(exposed.includes('x-session-id'), exposed.join(', '));
    assert.match(response.headers.get('x-session-id') ?? '', /^[0-9a-f-]{36}$/);
    await response.text();
  });
});

describe('plain SSE chat (seed 003) over a real upstream', () => {
  let upstream: MockUpstreamProcess;
  let server: RunningParley;
  before(async () => {
    upstream = await spawnMockUpstream(['--chunks', '12']);
    server = await startParley({
      ...NO_RATE_LIMITS,
      INTERNAL_API_KEY: KEY,
      PARLEY_PROVIDER_BASE_URL: upstream.url,
      PARLEY_UPSTREAM_RETRIES: '0',
      MODEL_NAME: 'mock-model',
      PARLEY_HISTORY_MESSAGES: '3',
    });
  });
  after(async () => {
    await server.stop();
    await upstream.stop();
  });
  beforeEach(() => upstream.admin.reset());
  const chat = (body: unknown, headers?: Record<string, string>) => chatRequest(server.url, body, headers);

  test('multi-line text from a recorded provider stream: one data: line per line, joined back exactly', async () => {
    const recording = upstreamStream('openai-text');
    await upstream.admin.setOptions({ replayFile: recording });
    const expected = readFileSync(recording, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => (JSON.parse(line) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content ?? '')
      .join('');
    assert.match(expected, /\n/);
    const response = await chat({ message: 'replay', session_id: 'multi-line-1' });
    const frames = await rawFrames(response);
    const messages = frames.filter((frame) => !frame.includes('event: done'));
    const texts = messages.map((frame) => frame.filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n'));
    assert.equal(texts.join(''), expected);
    const multiLine = messages.find((frame) => frame.filter((line) => line.startsWith('data:')).length > 1);
    assert.ok(multiLine, 'a delta with a newline goes out as several data: lines');
    assert.ok(messages.every((frame) => frame.every((line) => line.startsWith('id: ') || line.startsWith('data: '))));
    assert.equal((await exchanges(server.url, 'multi-line-1')).history[0]?.assistant_response, expected);
  });

  test('a provider failure before the first token is event: error / data: <message> on the 200 stream, as the README shows', async () => {
    await upstream.admin.setOptions({ failStatus: 429, retryAfterSeconds: 3, faultTimes: 1 });
    const response = await chat({ message: 'hi', session_id: 'rate-limited-1' });
    assert.equal(response.status, 200);
    const events = await collectSse(response);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.event, 'error');
    assert.match(events[0]!.data, /rate limiting requests \(HTTP 429\)/);
    const entry = (await exchanges(server.url, 'rate-limited-1')).history[0];
    assert.equal(entry?.status, 'failed');
  });

  test('a stream that breaks mid-answer sends the text so far, then event: error and nothing after', async () => {
    await upstream.admin.setOptions({ dropAfter: 4, faultTimes: 1 });
    const events = await collectSse(await chat({ message: 'hi', session_id: 'dropped-1' }));
    const last = events.at(-1)!;
    assert.equal(last.event, 'error');
    assert.ok(last.data.length > 0);
    const text = events.slice(0, -1);
    assert.ok(text.length > 0 && text.every((event) => event.event === undefined));
    assert.ok(mockAnswer('hi').startsWith(text.map((event) => event.data).join('')));
    assert.equal(events.filter((event) => event.event === 'done').length, 0);
  });

  test('session memory: each turn sends the session history upstream, bounded by PARLEY_HISTORY_MESSAGES', async () => {
    for (const message of ['one', 'two', 'three']) await collectSse(await chat({ message, session_id: 'memory-1' }));
    const requests = await upstream.admin.requests();
    // The system prompt (whatever is configured) comes first; the history is the rest.
    const sent = requests.map((request) =>
      (request.body as { messages: { role: string; content: string }[] }).messages.filter((message) => message.role !== 'system'),
    );
    const user = (content: string) => ({ role: 'user', content });
    const assistant = (prompt: string) => ({ role: 'assistant', content: upstreamAnswer(prompt) });
    assert.deepEqual(sent, [[user('one')], [user('one'), assistant('one'), user('two')], [user('two'), assistant('two'), user('three')]]);
  });
});
