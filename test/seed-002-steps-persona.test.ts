/**
 * Contract test of seed-002-steps-persona-cache.md: every documented route,
 * field, status code and stream event, driven the way the README's examples
 * drive them. Personas and the response cache, seen from a real upstream, are
 * in seed-002-persona-cache.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { mockAnswer, rawFrames } from './helpers/mock-answer.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { collectSse } from './helpers/sse.js';
import { postStream, type HistoryMessage, type Step } from './helpers/steps-api.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const THOUGHTS = 'First I consider what the user needs.\n\nThen I check the facts before answering.';

/** The steps the deterministic mock gives `prompt` under structured thinking (the surface's default). */
function structuredSteps(prompt: string) {
  return [
    { step: 'analyze', content: `The user asks about "${prompt}".` },
    { step: 'think', content: THOUGHTS },
    { step: 'output', content: mockAnswer(prompt) },
  ];
}

describe('steps + persona API (seed 002)', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley({ PARLEY_MOCK_CHUNK_DELAY_MS: '5' });
  });
  after(() => server.stop());
  const send = (body: unknown) => requestJson(`${server.url}/api/chat/send`, { body });

  test('POST /api/chat/send answers with the message and the analyze / think / output steps', async () => {
    const prompt = 'Sir mujhe backend development kaise start karna hai?';
    const { status, body } = await send({ content: prompt, session_id: 'seed2-send' });
    assert.equal(status, 200);
    assert.equal(body.success, true);
    assert.match(body.message.id, /^[0-9a-f-]{36}$/);
    assert.equal(body.message.type, 'ai');
    assert.equal(body.message.content, mockAnswer(prompt));
    assert.match(body.message.timestamp, ISO);
    assert.deepEqual(
      (body.processing_steps as Step[]).map(({ step, content }) => ({ step, content })),
      structuredSteps(prompt),
    );
    const times = (body.processing_steps as Step[]).map((step) => Date.parse(step.timestamp));
    assert.deepEqual(times, [...times].sort((left, right) => left - right));
    for (const step of body.processing_steps) {
      assert.match(step.timestamp, ISO);
      assert.ok(Number.isInteger(step.duration_ms) && step.duration_ms >= 0);
    }
    assert.equal(body.session_id, 'seed2-send');
    assert.equal(body.persona, 'assistant');
    assert.equal(body.model, 'mock-model');
  });

  test('without structured sections the steps are the stages the run went through, with measured times', async () => {
    const plain = await send({ content: 'no sections', thinking: 'off' });
    const [analyze, think, output] = plain.body.processing_steps;
    assert.equal(analyze.content, 'Prepared the request for model mock-model on provider mock.');
    assert.match(think.content, /^The model gave no separate reasoning; its answer began \d+ ms after the run started\.$/);
    assert.equal(output.content, mockAnswer('no sections'));
    assert.ok(output.duration_ms >= 20, 'the 24 answer chunks at 5 ms each took measurable time');

    const reasoning = await send({ content: 'think natively', thinking: 'auto', model: 'mock-reasoner' });
    assert.equal(reasoning.body.model, 'mock-reasoner');
    assert.equal(reasoning.body.processing_steps[1].content, 'First I read the question carefully. Then I plan a short answer');
  });

  test('without session_id a new session is made, its id returned and its history kept', async () => {
    const { body } = await send({ content: 'hello', session_id: null });
    assert.match(body.session_id, /^[0-9a-f-]{36}$/);
    const history = await requestJson(`${server.url}/api/chat/history?session_id=${body.session_id}`);
    assert.deepEqual((history.body.messages as HistoryMessage[]).map((message) => message.type), ['user', 'ai']);
  });

  test('POST /api/chat/stream sends one SSE message per step, each with an id, the last with is_complete', async () => {
    const prompt = 'LangGraph kya hota hai?';
    const response = await postStream(server.url, { content: prompt });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const frames = await rawFrames(response);
    assert.equal(frames.length, 3);
    const messages = frames.map((lines) => {
      assert.equal(lines.length, 2, 'an id line and one data line, no event name');
      assert.match(lines[0]!, /^id: [0-9a-f-]{36}:\d+$/);
      assert.match(lines[1]!, /^data: \{/);
      return JSON.parse(lines[1]!.slice('data: '.length)) as Step;
    });
    assert.deepEqual(
      messages.map(({ step, content, is_complete: complete }) => ({ step, content, is_complete: complete })),
      structuredSteps(prompt).map((step, index) => ({ ...step, is_complete: index === 2 })),
    );
    for (const message of messages) assert.match(message.timestamp, ISO);
    assert.equal(messages[2]!.finish_reason, 'stop');
    const session = messages[0]!.session_id;
    const history = await requestJson(`${server.url}/api/chat/history?session_id=${session}`);
    assert.equal(history.body.messages[1].id, messages[2]!.message_id);
  });

  test('a second message while the session is still answering is 409 conflict', async () => {
    const running = await postStream(server.url, { content: 'slow one', session_id: 'seed2-busy' });
    const conflict = await send({ content: 'me too', session_id: 'seed2-busy' });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.error.code, 'conflict');
    await collectSse(running);
  });

  test('GET and DELETE /api/chat/history?session_id= show and clear the session, shared with /conversations', async () => {
    const sent = await send({ content: 'remember me', session_id: 'seed2-history' });
    const { status, body } = await requestJson(`${server.url}/api/chat/history?session_id=seed2-history`);
    assert.equal(status, 200);
    assert.equal(body.success, true);
    assert.equal(body.session_id, 'seed2-history');
    assert.equal(body.persona, 'assistant');
    assert.equal(body.total_messages, 2);
    assert.deepEqual(
      (body.messages as HistoryMessage[]).map(({ type, content }) => ({ type, content })),
      [
        { type: 'user', content: 'remember me' },
        { type: 'ai', content: mockAnswer('remember me') },
      ],
    );
    assert.equal(body.messages[1].id, sent.body.message.id);
    for (const message of body.messages) assert.match(message.timestamp, ISO);

    const conversations = (await requestJson(`${server.url}/conversations`)).body.conversations;
    const listed = await requestJson(`${server.url}/conversations/${conversations[0].id}/messages`);
    assert.equal(listed.body.messages[1].id, sent.body.message.id, 'the session is the most recently updated conversation');

    const cleared = await requestJson(`${server.url}/api/chat/history?session_id=seed2-history`, { method: 'DELETE' });
    assert.equal(cleared.status, 200);
    assert.deepEqual(cleared.body, { success: true, session_id: 'seed2-history', message: 'Chat history cleared for session seed2-history.', deleted_messages: 2 });
    assert.equal((await requestJson(`${server.url}/api/chat/history?session_id=seed2-history`)).body.total_messages, 0);

    const unknown = await requestJson(`${server.url}/api/chat/history?session_id=never-used`);
    assert.deepEqual([unknown.status, unknown.body.total_messages], [200, 0]);
    const before = (await requestJson(`${server.url}/conversations`)).body.conversations.length;
    assert.equal(before, conversations.length, 'reading an unknown session created nothing');
  });

  test('GET /api/chat/health answers the documented fields', async () => {
    const { status, body } = await requestJson(`${server.url}/api/chat/health`);
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(body).sort(), ['status', 'timestamp', 'version']);
    assert.equal(body.status, 'healthy');
    assert.match(body.timestamp, ISO);
    assert.equal(body.version, JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
  });

  test('GET /api/chat/performance reports measured counts, latency and time to first token', async () => {
    const before = (await requestJson(`${server.url}/api/chat/performance`)).body.performance_stats;
    await send({ content: 'measure one' });
    await collectSse(await postStream(server.url, { content: 'measure two' }));
    await sleep(20);
    const { status, body } = await requestJson(`${server.url}/api/chat/performance`);
    assert.equal(status, 200);
    assert.equal(body.success, true);
    const stats = body.performance_stats;
    assert.equal(stats.total_requests, before.total_requests + 2);
    assert.equal(stats.completed_requests, before.completed_requests + 2);
    assert.equal(stats.sample_size, stats.completed_requests + stats.failed_requests + stats.cancelled_requests);
    // 60-odd structured chunks at 5 ms each: well over a tenth of a second per answer.
    assert.ok(stats.avg_response_time > 0.1 && stats.avg_response_time < 30, String(stats.avg_response_time));
    assert.ok(stats.p50_response_time <= stats.p95_response_time);
    assert.ok(stats.avg_time_to_first_token > 0 && stats.avg_time_to_first_token < stats.avg_response_time);
    assert.equal(typeof stats.cache_hit_rate, 'number');
  });

  test('bad input: 400 validation_failed naming the field, never a stream', async () => {
    const cases: [string, unknown, string][] = [
      ['/api/chat/send', {}, 'content'],
      ['/api/chat/send', { content: 42 }, 'content'],
      ['/api/chat/send', { content: '' }, 'content'],
      ['/api/chat/send', { content: 'x'.repeat(32_001) }, 'content'],
      ['/api/chat/send', { content: 'hi', session_id: 'has space' }, 'session_id'],
      ['/api/chat/send', { content: 'hi', session_id: 'x'.repeat(129) }, 'session_id'],
      ['/api/chat/send', { content: 'hi', persona: 'nobody' }, 'persona'],
      ['/api/chat/send', { content: 'hi', persona: 'Not A Name' }, 'persona'],
      ['/api/chat/send', { content: 'hi', temperature: 5 }, 'temperature'],
      ['/api/chat/send', { content: 'hi', thinking: 'deep' }, 'thinking'],
      ['/api/chat/stream', { session_id: 'seed2-bad' }, 'content'],
      ['/api/chat/stream', { content: 'hi', persona: 'nobody' }, 'persona'],
    ];
    for (const [path, body, field] of cases) {
      const response = await requestJson(server.url + path, { body });
      assert.equal(response.status, 400, `${path} ${JSON.stringify(body).slice(0, 80)}`);
      assert.equal(response.body.error.code, 'validation_failed');
      assert.equal(response.body.error.param, field);
    }
    for (const query of ['', '?session_id=', '?session_id=bad%20id']) {
      for (const method of ['GET', 'DELETE']) {
        const response = await requestJson(`${server.url}/api/chat/history${query}`, { method });
        assert.equal(response.status, 400, `${method} ${query}`);
        assert.equal(response.body.error.param, 'session_id');
      }
    }
    assert.equal((await requestJson(`${server.url}/api/chat/history?session_id=seed2-bad`)).body.total_messages, 0, 'nothing was stored');
  });

  test('the health route needs no key; the others do', async () => {
    const keyed = await startParley({ API_KEYS: 'seed2-key' });
    try {
      assert.equal((await requestJson(`${keyed.url}/api/chat/health`)).status, 200);
      for (const path of ['/api/chat/performance', '/api/chat/cache/stats', '/api/personas', '/api/chat/history?session_id=x']) {
        assert.equal((await requestJson(keyed.url + path)).status, 401, path);
        assert.equal((await requestJson(keyed.url + path, { headers: { 'x-api-key': 'seed2-key' } })).status, 200, path);
      }
    } finally {
      await keyed.stop();
    }
  });
});
