import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { collectSse, readSse } from './helpers/sse.js';

describe('runs: cancel, regenerate, restart', () => {
  let upstream: MockUpstreamProcess;
  let server: RunningParley;

  before(async () => {
    upstream = await spawnMockUpstream(['--chunks', '40', '--token-rate', '100']);
    server = await startParley({ PARLEY_PROVIDER_BASE_URL: upstream.url, MODEL_NAME: 'mock-model' });
  });
  after(async () => {
    await server.stop();
    await upstream.stop();
  });

  const conversationWithMessage = async (text: string) => {
    const conversation = (await requestJson(`${server.url}/conversations`, { body: {} })).body;
    await requestJson(`${server.url}/conversations/${conversation.id}/messages`, { body: { message: text } });
    return conversation.id as string;
  };
  const messages = async (id: string) => (await requestJson(`${server.url}/conversations/${id}/messages`)).body.messages;

  test('cancel mid-stream stores the partial text as cancelled and the upstream sees the abort', async () => {
    await upstream.admin.reset();
    const id = await conversationWithMessage('cancel me');
    const response = await fetch(`${server.url}/conversations/${id}/stream`);
    const events = [];
    let runId = '';
    for await (const event of readSse(response)) {
      events.push(event);
      runId = event.id!.split(':')[0]!;
      if (events.length === 5) {
        const cancelled = await requestJson(`${server.url}/runs/${runId}/cancel`, { method: 'POST' });
        assert.equal(cancelled.status, 200);
        assert.equal(cancelled.body.status, 'cancelled');
      }
    }
    const last = JSON.parse(events.at(-1)!.data);
    assert.equal(last.done, true);
    assert.equal(last.cancelled, true);
    const answer = (await messages(id)).at(-1);
    assert.equal(answer.status, 'cancelled');
    const streamed = events.slice(0, -1).map((event) => JSON.parse(event.data).content).join('');
    assert.equal(answer.content, streamed);
    assert.ok(answer.content.length > 0 && !answer.content.endsWith('.'), 'partial text kept');
    // The upstream process notices the closed connection on its own schedule.
    let recorded;
    for (let attempt = 0; attempt < 50 && recorded?.aborted !== true; attempt += 1) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      recorded = (await upstream.admin.requests()).find((request) => request.path === '/v1/chat/completions');
    }
    assert.equal(recorded?.aborted, true);
    const run = await requestJson(`${server.url}/runs/${runId}`);
    assert.equal(run.body.status, 'cancelled');

    const again = await requestJson(`${server.url}/runs/${runId}/cancel`, { method: 'POST' });
    assert.equal(again.status, 409);
    assert.equal((await requestJson(`${server.url}/runs/01a1fcbd-0000-7000-8000-000000000000/cancel`, { method: 'POST' })).status, 404);
  });

  test('regenerate keeps the earlier answer as a sibling branch; listing shows the new one', async () => {
    await upstream.admin.reset();
    const id = await conversationWithMessage('regenerate me');
    await collectSse(await fetch(`${server.url}/conversations/${id}/stream`));
    const [user, first] = await messages(id);
    const started = await requestJson(`${server.url}/conversations/${id}/messages/${first.id}/regenerate`, { method: 'POST', body: {} });
    assert.equal(started.status, 202);
    const events = await collectSse(await fetch(`${server.url}/conversations/${id}/stream`));
    assert.equal(JSON.parse(events.at(-1)!.data).message_id, started.body.message_id);
    const listed = await messages(id);
    assert.deepEqual(listed.map((message: { id: string }) => message.id), [user.id, started.body.message_id]);
    assert.equal(listed[1].parent_id, user.id);
    assert.equal(listed[1].status, 'complete');
    const conversation = (await requestJson(`${server.url}/conversations/${id}`)).body;
    assert.equal(conversation.message_count, 2);
    const missing = await requestJson(`${server.url}/conversations/${id}/messages/${user.id}/regenerate`, { method: 'POST', body: {} });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'message_not_found');
  });
});

describe('persistence', () => {
  test('after a restart on the same data directory every conversation and message is there', async () => {
    const first = await startParley();
    const ids: string[] = [];
    for (const text of ['one', 'two', 'three']) {
      const conversation = (await requestJson(`${first.url}/conversations`, { body: { default_model: 'mock-model' } })).body;
      await requestJson(`${first.url}/conversations/${conversation.id}/messages`, { body: { message: text } });
      await collectSse(await fetch(`${first.url}/conversations/${conversation.id}/stream`));
      ids.push(conversation.id);
    }
    const before = await Promise.all(ids.map(async (id) => (await requestJson(`${first.url}/conversations/${id}/messages`)).body));
    await first.stop({ keepData: true });

    const second = await startParley({}, first.dataDir);
    try {
      const listed = (await requestJson(`${second.url}/conversations`)).body.conversations;
      assert.deepEqual(listed.map((item: { id: string }) => item.id).sort(), [...ids].sort());
      for (const item of listed) assert.equal(item.message_count, 2);
      const after = await Promise.all(ids.map(async (id) => (await requestJson(`${second.url}/conversations/${id}/messages`)).body));
      assert.deepEqual(after, before);
      const status = (await requestJson(`${second.url}/`)).body;
      assert.equal(status.conversations, 3);
      assert.equal(status.total_messages, 6);
    } finally {
      await second.stop();
    }
  });
});
