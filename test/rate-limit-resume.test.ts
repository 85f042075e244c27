/**
 * Only requests that start a generation count against the chat rate limits
 * (README "Production settings"): resuming a stream (`Last-Event-ID` on the SSE surfaces, the
 * conversation stream attaching to its answer, the AI SDK and Responses
 * resume routes) reads an answer already paid for, so a flaky client that
 * reconnects again and again is never throttled for it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ChatSocket, ENDINGS } from './helpers/chat-socket.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { collectSse } from './helpers/sse.js';

const LIMIT = 5;
const JSON_HEADERS = { 'content-type': 'application/json' };

describe('chat rate limits count starts, not resumes', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley({ PARLEY_RATE_LIMIT_IP_PER_MINUTE: String(LIMIT) });
  });
  after(() => server.stop());

  /** Posts seed 003's chat; the SSE frames, or the refusal status. */
  async function plainChat(session: string, headers: Record<string, string> = {}) {
    const response = await fetch(`${server.url}/chat`, { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify({ message: 'count me once', session_id: session }) });
    return { status: response.status, limit: response.headers.get('ratelimit-limit'), frames: response.status === 200 ? await collectSse(response) : [] };
  }

  test(`20 resumes of one stream under a limit of ${LIMIT} a minute all succeed; only starts are refused once the window is full`, async () => {
    const started = await plainChat('resumed-session');
    assert.equal(started.status, 200);
    assert.equal(started.limit, String(LIMIT), 'a start is charged');
    const lastId = started.frames.at(-1)!.id!;
    const firstId = started.frames[0]!.id!;
    const runId = firstId.split(':')[0]!;
    const text = (frames: { event?: string; data: string }[]) => frames.filter((frame) => frame.event === undefined).map((frame) => frame.data).join('');
    const run = (await requestJson(`${server.url}/runs/${runId}`)).body as { conversation_id: string };

    const resumes: (() => Promise<{ status: number; limit: string | null; body: string }>)[] = [
      // Seed 003: the request again with Last-Event-ID, from its first frame.
      async () => {
        const resumed = await plainChat('resumed-session', { 'last-event-id': firstId });
        assert.equal(text(resumed.frames), text(started.frames.slice(1)));
        return { status: resumed.status, limit: resumed.limit, body: text(resumed.frames) };
      },
      // Seed 001: the conversation stream, resumed after the last frame and attached from the start.
      async () => {
        const response = await fetch(`${server.url}/conversations/${run.conversation_id}/stream`, { headers: { 'last-event-id': lastId } });
        return { status: response.status, limit: response.headers.get('ratelimit-limit'), body: JSON.stringify(await collectSse(response)) };
      },
      async () => {
        const response = await fetch(`${server.url}/conversations/${run.conversation_id}/stream`);
        const frames = await collectSse(response);
        assert.ok(frames.some((frame) => frame.data.includes('"done":true')), 'the attached stream ends with its answer');
        return { status: response.status, limit: response.headers.get('ratelimit-limit'), body: JSON.stringify(frames) };
      },
      // Seeds 004 and 002: the same run, resumed through their own routes.
      async () => {
        const response = await fetch(`${server.url}/api/chat`, { method: 'POST', headers: { ...JSON_HEADERS, 'last-event-id': firstId }, body: JSON.stringify({ user_id: 'u', message: 'x' }) });
        return { status: response.status, limit: response.headers.get('ratelimit-limit'), body: JSON.stringify(await collectSse(response)) };
      },
      async () => {
        const response = await fetch(`${server.url}/api/chat/stream`, { method: 'POST', headers: { ...JSON_HEADERS, 'last-event-id': firstId }, body: JSON.stringify({ content: 'x', session_id: 's' }) });
        return { status: response.status, limit: response.headers.get('ratelimit-limit'), body: JSON.stringify(await collectSse(response)) };
      },
    ];
    for (let count = 0; count < 20; count++) {
      const resumed = await resumes[count % resumes.length]!();
      assert.equal(resumed.status, 200, `resume ${count + 1}: ${resumed.body.slice(0, 200)}`);
      assert.equal(resumed.limit, null, `resume ${count + 1} is not charged`);
    }
    assert.equal((await requestJson(`${server.url}/usage`)).body.totals.runs, 1, 'no resume started a run');

    // The window still holds the four starts left of five: resumes used none of it.
    for (let count = 2; count <= LIMIT; count++) assert.equal((await plainChat(`fresh-${count}`)).status, 200, `start ${count}`);
    const refused = await plainChat('one-too-many');
    assert.equal(refused.status, 429);
    // A Last-Event-ID naming no held run starts a new answer: that is charged like any start.
    assert.equal((await plainChat('unknown-run', { 'last-event-id': `${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}:3` })).status, 429);
    // …while resuming a held run still works with the window full.
    assert.equal((await plainChat('resumed-session', { 'last-event-id': firstId })).status, 200);
  });

  test('the AI SDK, Responses and WebSocket resumes are not charged either', async () => {
    const limited = await startParley({ PARLEY_RATE_LIMIT_IP_PER_MINUTE: '3' });
    try {
      const post = (path: string, body: unknown) => fetch(`${limited.url}${path}`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });
      // Three starts fill the window: an AI SDK chat, a response, a WebSocket task.
      const chat = await post('/ai-sdk/chat', { id: 'resumed-chat', trigger: 'submit-message', messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
      assert.equal(chat.status, 200);
      await collectSse(chat);
      const response = await post('/v1/responses', { model: 'mock-model', input: 'hi' });
      assert.equal(response.status, 200);
      const { id: responseId } = (await response.json()) as { id: string };
      const socketUrl = `${limited.url.replace(/^http/, 'ws')}/ws/chat`;
      const starter = await ChatSocket.open(socketUrl);
      starter.send({ message: 'hi', user_id: 'resumed-task' });
      const { task_id: taskId } = await starter.next((message) => message.type === 'connected');
      await starter.next((message) => ENDINGS.has(message.type));
      starter.close();
      assert.equal((await post('/v1/responses', { model: 'mock-model', input: 'one too many' })).status, 429, 'the window is full');

      for (let count = 0; count < 7; count++) {
        const aiSdk = await fetch(`${limited.url}/ai-sdk/chat/resumed-chat/stream`);
        assert.equal(aiSdk.status, 200, `AI SDK resume ${count + 1}`);
        assert.equal((await collectSse(aiSdk)).at(-1)?.data, '[DONE]');
        const responses = await fetch(`${limited.url}/v1/responses/${responseId}?stream=true&starting_after=2`);
        assert.equal(responses.status, 200, `Responses resume ${count + 1}`);
        assert.equal((await collectSse(responses)).at(-1)?.event, 'response.completed');
        const socket = await ChatSocket.open(socketUrl);
        socket.send({ type: 'resume', task_id: taskId, after_seq: 0 });
        assert.equal((await socket.next((message) => ENDINGS.has(message.type) && message.task_id === taskId)).type, 'complete', `WebSocket resume ${count + 1}`);
        socket.close();
      }
    } finally {
      await limited.stop();
    }
  });
});
