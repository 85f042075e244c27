/**
 * What a new user meets first, with no provider key: each seed's documented
 * first request with the seed's own model names, and a browser frontend on
 * http://localhost:5173 (where the seeds' READMEs run theirs) talking to
 * Parley across origins, with and without client keys.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChatSocket } from './helpers/chat-socket.js';
import { courseOf, messagesOf } from './helpers/history.js';
import { mockAnswer } from './helpers/mock-answer.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { collectSse } from './helpers/sse.js';

const FRONTEND = 'http://localhost:5173';
const KEY = 'first-contact-key';

/** Request headers the seeds' frontends send, in the order browsers list them. */
const REQUESTED_HEADERS = 'content-type,x-api-key';

async function preflight(url: string, method: string, origin = FRONTEND): Promise<Response> {
  return fetch(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': REQUESTED_HEADERS },
  });
}

function headerSet(value: string | null): Set<string> {
  return new Set((value ?? '').split(',').map((item) => item.trim().toLowerCase()).filter((item) => item !== ''));
}

describe('the seeds\' first requests with their own model names and no provider key', () => {
  let server: RunningParley;
  const headers = { 'x-api-key': KEY };
  before(async () => {
    server = await startParley({ API_KEYS: KEY });
  });
  after(() => server.stop());

  test('seed 000: POST /chat/start with "openassistant-medium" completes with a final_answer', async () => {
    const started = await requestJson(`${server.url}/chat/start`, {
      headers,
      body: { user_id: 'user123', message: 'What is quantum computing?', model: 'openassistant-medium' },
    });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    let status = '';
    for (let attempt = 0; attempt < 500 && !['complete', 'error', 'cancelled'].includes(status); attempt += 1) {
      await sleep(10);
      status = (await requestJson(`${server.url}/chat/status/${started.body.task_id}`, { headers })).body.status;
    }
    assert.equal(status, 'complete');
    const result = await requestJson(`${server.url}/chat/result/${started.body.task_id}`, { headers });
    assert.equal(result.status, 200);
    assert.equal(typeof result.body.final_answer, 'string');
    assert.match(result.body.final_answer, /\w+/);
  });

  test('seed 000: WS /ws/chat with "openassistant-medium" completes with a final_answer', async () => {
    const socket = await ChatSocket.open(`${server.url.replace('http', 'ws')}/ws/chat`, { headers });
    try {
      socket.send({ message: 'Explain quantum computing', model: 'openassistant-medium' });
      const connected = await socket.next((message) => message.type === 'connected' && message.task_id !== undefined);
      const messages = await socket.untilEnd(connected.task_id!);
      const complete = messages.at(-1)!;
      assert.equal(complete.type, 'complete', JSON.stringify(messages));
      assert.match(complete.final_answer ?? '', /\w+/);
      assert.ok(messages.some((message) => message.type === 'answer_chunk'));
    } finally {
      socket.close();
    }
  });

  test('seed 001: a conversation on "anthropic/claude-3-opus" streams to done and stores the model name', async () => {
    const created = await requestJson(`${server.url}/conversations`, { headers, body: { default_model: 'anthropic/claude-3-opus' } });
    assert.equal(created.status, 200);
    assert.equal(created.body.default_model, 'anthropic/claude-3-opus');
    const id = created.body.id as string;
    assert.equal((await requestJson(`${server.url}/conversations/${id}/messages`, { headers, body: { message: 'What is FastAPI?' } })).status, 200);
    const events = await collectSse(await fetch(`${server.url}/conversations/${id}/stream`, { headers }));
    const last = JSON.parse(events.at(-1)!.data) as { done?: boolean; message_id?: string };
    assert.equal(last.done, true);
    const text = events
      .filter((event) => event.event === undefined)
      .map((event) => (JSON.parse(event.data) as { content?: string }).content ?? '')
      .join('');
    assert.equal(text, mockAnswer('What is FastAPI?'));

    // The per-message override of the seed's example, and the PATCH of its frontend.
    await requestJson(`${server.url}/conversations/${id}/messages`, { headers, body: { message: 'And Flask?', model: 'openai/gpt-4' } });
    await collectSse(await fetch(`${server.url}/conversations/${id}/stream`, { headers }));
    const patched = await requestJson(`${server.url}/conversations/${id}`, { method: 'PATCH', headers, body: { default_model: 'openai/gpt-4-turbo' } });
    assert.equal(patched.body.default_model, 'openai/gpt-4-turbo');

    const messages = await messagesOf(server.url, id, headers);
    assert.deepEqual(
      courseOf(messages),
      [
        ['user', null, 'complete'],
        ['assistant', 'anthropic/claude-3-opus', 'complete'],
        ['user', 'openai/gpt-4', 'complete'],
        ['assistant', 'openai/gpt-4', 'complete'],
      ],
    );
    assert.equal(last.message_id, messages[1]!.id);
  });

  test('the mock streams reasoning for reasoning model names, not for others', async () => {
    const answer = async (model: string) =>
      (await requestJson(`${server.url}/v1/chat/completions`, { headers, body: { model, messages: [{ role: 'user', content: 'hi' }] } })).body;
    for (const model of ['mock-reasoner', 'deepseek-reasoner', 'claude-3-7-sonnet-thinking']) {
      const body = await answer(model);
      assert.equal(body.model, model);
      assert.match(body.choices[0].message.reasoning_content ?? '', /^First I read the question/, model);
    }
    for (const model of ['mock-model', 'openassistant-medium']) {
      assert.equal((await answer(model)).choices[0].message.reasoning_content, undefined, model);
    }
  });
});

describe('a browser frontend on localhost with CORS_ORIGINS unset', () => {
  for (const keys of ['without', 'with'] as const) {
    describe(`${keys} API_KEYS`, () => {
      let server: RunningParley;
      before(async () => {
        server = await startParley(keys === 'with' ? { API_KEYS: KEY } : {});
      });
      after(() => server.stop());

      for (const [method, path, allowed] of [
        ['POST', '/chat', ['POST']],
        ['PATCH', '/conversations/0190a0c0-0000-7000-8000-000000000000', ['GET', 'HEAD', 'PATCH', 'DELETE']],
        ['DELETE', '/conversations/0190a0c0-0000-7000-8000-000000000000', ['GET', 'HEAD', 'PATCH', 'DELETE']],
        ['POST', '/chat/start', ['POST']],
        ['GET', '/conversations/0190a0c0-0000-7000-8000-000000000000/stream', ['GET']],
      ] as const) {
        test(`a preflight for ${method} ${path.replace(/[0-9a-f-]{36}/, '{id}')} is 204 with the route's methods and the needed headers`, async () => {
          const response = await preflight(server.url + path, method);
          assert.equal(response.status, 204);
          assert.equal(response.headers.get('access-control-allow-origin'), FRONTEND);
          const methods = (response.headers.get('access-control-allow-methods') ?? '').split(',').map((item) => item.trim());
          assert.deepEqual(methods.sort(), [...allowed].sort());
          const allowedHeaders = headerSet(response.headers.get('access-control-allow-headers'));
          for (const name of ['x-api-key', 'authorization', 'content-type', 'last-event-id', 'x-request-id']) assert.ok(allowedHeaders.has(name), name);
          assert.match(response.headers.get('vary') ?? '', /origin/i);
        });
      }

      test('the actual request from the page carries the allow-origin and the exposed headers', async () => {
        const response = await fetch(`${server.url}/health`, { headers: { origin: 'http://127.0.0.1:3000' } });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('access-control-allow-origin'), 'http://127.0.0.1:3000');
        assert.ok(headerSet(response.headers.get('access-control-expose-headers')).has('x-request-id'));
      });

      test('a preflight from another origin gets no allow-origin', async () => {
        const response = await preflight(`${server.url}/chat`, 'POST', 'https://evil.example');
        assert.equal(response.headers.get('access-control-allow-origin'), null);
        assert.equal(response.headers.get('access-control-allow-methods'), null);
        const actual = await fetch(`${server.url}/health`, { headers: { origin: 'https://evil.example' } });
        assert.equal(actual.headers.get('access-control-allow-origin'), null);
      });

      test('the WebSocket accepts a page from localhost and refuses one from another origin', async () => {
        const url = `${server.url.replace('http', 'ws')}/ws/chat`;
        const auth: Record<string, string> = keys === 'with' ? { 'x-api-key': KEY } : {};
        const stranger = await ChatSocket.open(url, { headers: { ...auth, origin: 'https://evil.example' } });
        assert.equal((await stranger.next((message) => message.type === 'error')).code, 'forbidden_origin');
        assert.equal((await stranger.closed).code, 1008);
        const local = await ChatSocket.open(url, { headers: { ...auth, origin: FRONTEND } });
        try {
          local.send({ message: 'hello from the page' });
          const connected = await local.next((message) => message.type === 'connected' && message.task_id !== undefined);
          assert.equal((await local.untilEnd(connected.task_id!)).at(-1)?.type, 'complete');
        } finally {
          local.close();
        }
      });
    });
  }
});

describe('preflights and the chat rate limits', () => {
  test('preflights are answered before the rate limits and do not count against them', async () => {
    const server = await startParley({ API_KEYS: KEY, PARLEY_RATE_LIMIT_IP_PER_MINUTE: '1', PARLEY_RATE_LIMIT_KEY_PER_MINUTE: '100' });
    try {
      for (let attempt = 0; attempt < 3; attempt += 1) assert.equal((await preflight(`${server.url}/chat`, 'POST')).status, 204);
      const chat = await fetch(`${server.url}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': KEY, origin: FRONTEND },
        body: JSON.stringify({ message: 'the first real request' }),
      });
      assert.equal(chat.status, 200);
      assert.equal(chat.headers.get('access-control-allow-origin'), FRONTEND);
      await chat.text();
      // The second real one is over the limit, and the page can read why.
      const limited = await fetch(`${server.url}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': KEY, origin: FRONTEND },
        body: JSON.stringify({ message: 'one too many' }),
      });
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('access-control-allow-origin'), FRONTEND);
      assert.ok(headerSet(limited.headers.get('access-control-expose-headers')).has('retry-after'));
      assert.equal((await preflight(`${server.url}/chat`, 'POST')).status, 204);
    } finally {
      await server.stop();
    }
  });
});

describe('CORS_ORIGINS=none', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley({ CORS_ORIGINS: 'none' });
  });
  after(() => server.stop());

  test('no page gets CORS headers or a WebSocket, while clients without an Origin work', async () => {
    const response = await preflight(`${server.url}/chat`, 'POST');
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    assert.equal((await fetch(`${server.url}/health`, { headers: { origin: FRONTEND } })).headers.get('access-control-allow-origin'), null);
    const page = await ChatSocket.open(`${server.url.replace('http', 'ws')}/ws/chat`, { headers: { origin: FRONTEND } });
    assert.equal((await page.closed).code, 1008);
    assert.equal((await requestJson(`${server.url}/health`)).status, 200);
  });
});
