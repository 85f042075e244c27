import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { collectSse, readSse } from './helpers/sse.js';

describe('conversations API (seed 001)', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley({ PARLEY_MOCK_CHUNK_DELAY_MS: '5' });
  });
  after(() => server.stop());

  const create = async (body: unknown = {}) => (await requestJson(`${server.url}/conversations`, { body })).body;
  const send = (id: string, body: unknown) => requestJson(`${server.url}/conversations/${id}/messages`, { body });

  test('creates a conversation with the documented fields and default model', async () => {
    const { status, body } = await requestJson(`${server.url}/conversations`, { body: { default_model: 'mock-reasoner' } });
    assert.equal(status, 200);
    assert.match(body.id, /^[0-9a-f-]{36}$/);
    assert.equal(body.default_model, 'mock-reasoner');
    assert.ok(!Number.isNaN(Date.parse(body.created_at)));
    assert.ok(!Number.isNaN(Date.parse(body.updated_at)));
  });

  test('without default_model the configured default is used', async () => {
    assert.equal((await create()).default_model, 'mock-model');
  });

  test('send, stream, and list: content events, done with message_id, stored answer', async () => {
    const conversation = await create();
    const sent = await send(conversation.id, { message: 'What is FastAPI?' });
    assert.equal(sent.status, 200);
    assert.deepEqual(
      { role: sent.body.role, content: sent.body.content, model: sent.body.model },
      { role: 'user', content: 'What is FastAPI?', model: null },
    );
    assert.ok(sent.body.timestamp);

    const response = await fetch(`${server.url}/conversations/${conversation.id}/stream`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    const events = await collectSse(response);
    const data = events.filter((event) => event.event === undefined).map((event) => JSON.parse(event.data));
    const final = data.at(-1);
    assert.equal(final.done, true);
    const text = data.slice(0, -1).map((item) => item.content).join('');
    assert.match(text, /^Mock reply to "What is FastAPI\?":/);

    const listed = await requestJson(`${server.url}/conversations/${conversation.id}/messages`);
    assert.equal(listed.body.conversation_id, conversation.id);
    assert.equal(listed.body.messages.length, 2);
    const answer = listed.body.messages[1];
    assert.equal(answer.id, final.message_id);
    assert.equal(answer.role, 'assistant');
    assert.equal(answer.content, text);
    assert.equal(answer.model, 'mock-model');
    assert.equal(answer.status, 'complete');
    assert.equal(answer.usage.completion_tokens, 24);
  });

  test('reasoning is sent as its own named events and stored', async () => {
    const conversation = await create({ default_model: 'mock-reasoner' });
    await send(conversation.id, { message: 'think' });
    const events = await collectSse(await fetch(`${server.url}/conversations/${conversation.id}/stream`));
    const reasoning = events.filter((event) => event.event === 'reasoning').map((event) => JSON.parse(event.data).reasoning).join('');
    assert.equal(reasoning, 'First I read the question carefully. Then I plan a short answer');
    const firstContent = events.findIndex((event) => event.event === undefined);
    const lastReasoning = events.map((event) => event.event).lastIndexOf('reasoning');
    assert.ok(lastReasoning < firstContent);
    const listed = await requestJson(`${server.url}/conversations/${conversation.id}/messages`);
    assert.equal(listed.body.messages[1].reasoning, reasoning);
  });

  test('per-message model override, and ?model= on the stream, beat the default', async () => {
    const conversation = await create({ default_model: 'mock-model' });
    await send(conversation.id, { message: 'one', model: 'mock-reasoner' });
    await collectSse(await fetch(`${server.url}/conversations/${conversation.id}/stream`));
    await send(conversation.id, { message: 'two' });
    await collectSse(await fetch(`${server.url}/conversations/${conversation.id}/stream?model=mock-reasoner`));
    await send(conversation.id, { message: 'three' });
    await collectSse(await fetch(`${server.url}/conversations/${conversation.id}/stream`));
    const { body } = await requestJson(`${server.url}/conversations/${conversation.id}/messages`);
    assert.deepEqual(
      body.messages.filter((message: { role: string }) => message.role === 'assistant').map((message: { model: string }) => message.model),
      ['mock-reasoner', 'mock-reasoner', 'mock-model'],
    );
  });

  test('list shows message_count; get, patch and delete work and then 404', async () => {
    const conversation = await create();
    await send(conversation.id, { message: 'hello' });
    await collectSse(await fetch(`${server.url}/conversations/${conversation.id}/stream`));
    const listed = await requestJson(`${server.url}/conversations`);
    const entry = listed.body.conversations.find((item: { id: string }) => item.id === conversation.id);
    assert.equal(entry.message_count, 2);
    assert.equal((await requestJson(`${server.url}/conversations/${conversation.id}`)).body.message_count, 2);

    const patched = await requestJson(`${server.url}/conversations/${conversation.id}`, { method: 'PATCH', body: { default_model: 'mock-reasoner' } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.default_model, 'mock-reasoner');

    assert.equal((await requestJson(`${server.url}/conversations/${conversation.id}`, { method: 'DELETE' })).status, 200);
    for (const path of ['', '/messages', '/stream']) {
      const gone = await requestJson(`${server.url}/conversations/${conversation.id}${path}`);
      assert.equal(gone.status, 404, path);
      assert.equal(gone.body.error.code, 'conversation_not_found');
    }
    assert.equal((await send(conversation.id, { message: 'x' })).status, 404);
    assert.equal((await requestJson(`${server.url}/conversations/${conversation.id}`, { method: 'DELETE' })).status, 404);
  });

  test('HEAD on the stream route starts no generation', async () => {
    const conversation = await create();
    await send(conversation.id, { message: 'head only' });
    const head = await fetch(`${server.url}/conversations/${conversation.id}/stream`, { method: 'HEAD' });
    // The route takes GET only: 405 naming it, like any other method it does not take.
    assert.equal(head.status, 405);
    assert.equal(head.headers.get('allow'), 'GET');
    const { body } = await requestJson(`${server.url}/conversations/${conversation.id}/messages`);
    assert.equal(body.messages.length, 1);
  });

  test('an assistant message shows its run_id, which cancels the answer while it streams', async () => {
    const conversation = await create();
    await send(conversation.id, { message: 'cancel me by run id' });
    const events = readSse(await fetch(`${server.url}/conversations/${conversation.id}/stream`));
    const first = await events.next();
    assert.equal(first.done, false);
    const listed = (await requestJson(`${server.url}/conversations/${conversation.id}/messages`)).body.messages as { role: string; status: string; run_id?: string }[];
    assert.equal(listed[0]!.run_id, undefined, 'user messages have no run');
    const answer = listed[1]!;
    assert.deepEqual([answer.role, answer.status], ['assistant', 'streaming']);
    assert.match(answer.run_id ?? '', /^[0-9a-f-]{36}$/);
    // The SSE ids are `<run_id>:<seq>`: the same run, without parsing them.
    assert.equal(first.value.id?.split(':')[0], answer.run_id);
    const cancelled = await requestJson(`${server.url}/runs/${answer.run_id}/cancel`, { method: 'POST' });
    assert.equal(cancelled.status, 200);
    for await (const _event of events) {
      // the stream ends after the cancellation
    }
    const stored = (await requestJson(`${server.url}/conversations/${conversation.id}/messages`)).body.messages[1];
    assert.deepEqual([stored.status, stored.run_id], ['cancelled', answer.run_id]);
  });

  test('streaming a conversation without an unanswered user message is 409 conflict', async () => {
    const empty = await create();
    const noUser = await requestJson(`${server.url}/conversations/${empty.id}/stream`);
    assert.equal(noUser.status, 409);
    assert.equal(noUser.body.error.code, 'conflict');
  });

  test('bad input: 400 naming the field, 404 for unknown ids, never 5xx', async () => {
    const conversation = await create();
    const cases: [string, Parameters<typeof requestJson>[1], number, string][] = [
      [`/conversations/${conversation.id}/messages`, { body: {} }, 400, 'message'],
      [`/conversations/${conversation.id}/messages`, { body: { message: 42 } }, 400, 'message'],
      [`/conversations/${conversation.id}/messages`, { body: { message: '' } }, 400, 'message'],
      [`/conversations/${conversation.id}/messages`, { body: '{"message": ' }, 400, ''],
      [`/conversations/${conversation.id}/messages`, { body: { message: 'x'.repeat(40_000) } }, 400, 'message'],
      ['/conversations', { body: { default_model: 5 } }, 400, 'default_model'],
      [`/conversations/${conversation.id}`, { method: 'PATCH', body: {} }, 400, ''],
      ['/conversations/not-a-real-id/messages', {}, 404, ''],
      ['/conversations?limit=abc', {}, 400, 'limit'],
    ];
    for (const [path, options, status, field] of cases) {
      const response = await requestJson(server.url + path, options);
      assert.equal(response.status, status, `${path} ${JSON.stringify(options)}`);
      assert.equal(typeof response.body.error.code, 'string');
      assert.match(response.body.error.message, new RegExp(field));
    }
  });
});
