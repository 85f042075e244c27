import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { runIdOfResponse } from '../src/services/responses.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';

type StreamEvent = OpenAI.Responses.ResponseStreamEvent;

/** The text of a response's message items (the SDK adds `output_text` only to non-streamed responses). */
function textOf(response: OpenAI.Responses.Response): string {
  return response.output.flatMap((item) => (item.type === 'message' ? item.content.map((part) => (part.type === 'output_text' ? part.text : '')) : [])).join('');
}

async function collect(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

/** Checks what every stream must satisfy: sequence numbers consecutive from `first`, one terminal event, last. */
function assertWellFormed(events: StreamEvent[], first = 0): void {
  assert.deepEqual(
    events.map((event) => event.sequence_number),
    events.map((_, index) => first + index),
  );
  const terminal = events.filter((event) => ['response.completed', 'response.failed', 'response.incomplete'].includes(event.type));
  assert.equal(terminal.length, 1);
  assert.equal(events.at(-1), terminal[0]);
}

describe('OpenAI Responses API with the official openai SDK', () => {
  let server: RunningParley;
  let client: OpenAI;
  // A real provider beside the built-in mock (which answers any model id), so an unknown model is a provider's 404.
  let upstream: MockUpstreamProcess;
  before(async () => {
    upstream = await spawnMockUpstream([]);
    server = await startParley({ PARLEY_MOCK_CHUNK_DELAY_MS: '15', PARLEY_PROVIDER_BASE_URL: upstream.url, PARLEY_PROVIDER_NAME: 'upstream', PARLEY_DEFAULT_PROVIDER: 'mock', PARLEY_UPSTREAM_RETRIES: '0' });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(async () => {
    await server.stop();
    await upstream.stop();
  });

  test('responses.create without stream answers a completed response that is a stored conversation turn', async () => {
    const response = await client.responses.create({ model: 'mock-model', input: 'Hello responses', instructions: 'Be brief.', metadata: { app: 'test' } });
    assert.match(response.id, /^resp_[0-9a-f]{32}$/);
    assert.equal(response.object, 'response');
    assert.equal(response.status, 'completed');
    assert.match(response.output_text, /^Mock reply to "Hello responses"/);
    assert.deepEqual(response.metadata, { app: 'test' });
    assert.equal(response.instructions, 'Be brief.');
    assert.equal(response.output.length, 1);
    assert.ok((response.usage?.output_tokens ?? 0) > 0);
    assert.equal(response.usage?.total_tokens, (response.usage?.input_tokens ?? 0) + (response.usage?.output_tokens ?? 0));
    const conversations = await requestJson(`${server.url}/conversations`);
    const conversation = conversations.body.conversations.find((entry: { title: string }) => entry.title === 'Hello responses');
    assert.ok(conversation, 'the response shows in /conversations');
    const messages = await requestJson(`${server.url}/conversations/${conversation.id}/messages`);
    assert.deepEqual(
      messages.body.messages.map((message: { role: string; content: string }) => [message.role, message.content]),
      [
        ['user', 'Hello responses'],
        ['assistant', response.output_text],
      ],
    );
    const items = await client.responses.inputItems.list(response.id);
    assert.deepEqual(
      items.data.map((item) => item.type === 'message' && [item.role, item.content]),
      [['user', [{ type: 'input_text', text: 'Hello responses' }]]],
    );
    const again = await client.responses.retrieve(response.id);
    assert.deepEqual(again, response);
  });

  test('responses.create with stream sends the events in order: reasoning as reasoning_text, then the message, then completed', async () => {
    const stream = await client.responses.create({ model: 'mock-reasoner', input: [{ role: 'user', content: 'Think then answer' }], stream: true });
    const events = await collect(stream);
    assertWellFormed(events);
    const types = [...new Set(events.map((event) => event.type))];
    assert.deepEqual(types, [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.reasoning_text.delta',
      'response.reasoning_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_text.delta',
      'response.output_text.done',
      'response.completed',
    ]);
    const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    const [reasoning, message] = completed.response.output;
    assert.equal(reasoning?.type, 'reasoning');
    assert.equal(message?.type, 'message');
    const deltas = events.filter((event) => event.type === 'response.output_text.delta');
    assert.ok(deltas.every((event) => event.item_id === message?.id && event.output_index === 1 && event.content_index === 0));
    const text = deltas.map((event) => event.delta).join('');
    assert.equal(message?.type === 'message' && message.content[0]?.type === 'output_text' && message.content[0].text, text);
    const { output_text: outputText, ...retrieved } = await client.responses.retrieve(completed.response.id);
    assert.deepEqual(retrieved, completed.response, 'retrieve answers the response the stream completed with');
    assert.equal(outputText, text);
  });

  test('responses.stream accumulates the events into the final response (the SDK checks indexes and item ids)', async () => {
    const stream = client.responses.stream({ model: 'mock-reasoner', input: 'Stream me' });
    const final = await stream.finalResponse();
    assert.equal(final.status, 'completed');
    assert.match(textOf(final), /^Mock reply to "Stream me"/);
    const reasoning = final.output[0];
    assert.ok(reasoning?.type === 'reasoning' && (reasoning.content?.[0]?.text.length ?? 0) > 0);
  });

  test('previous_response_id continues the stored conversation; a store: false request continues it without adding to it', async () => {
    const first = await client.responses.create({ model: 'mock-model', input: 'First turn' });
    const second = await client.responses.create({ model: 'mock-model', input: 'Second turn', previous_response_id: first.id });
    assert.equal(second.previous_response_id, first.id);
    const list = await requestJson(`${server.url}/conversations`);
    const conversation = list.body.conversations.find((entry: { title: string }) => entry.title === 'First turn');
    assert.equal(conversation.message_count, 4);
    await assert.rejects(client.responses.create({ model: 'mock-model', input: 'Again from first', previous_response_id: first.id }), (error: unknown) => error instanceof OpenAI.ConflictError);
    const aside = await client.responses.create({ model: 'mock-model', input: 'An aside', previous_response_id: second.id, store: false });
    assert.equal(aside.status, 'completed');
    assert.equal((await requestJson(`${server.url}/conversations/${conversation.id}`)).body.message_count, 4, 'a store: false turn is not added');
    await assert.rejects(client.responses.create({ model: 'mock-model', input: 'x', previous_response_id: 'resp_00000000000000000000000000000000' }), (error: unknown) => error instanceof OpenAI.NotFoundError);
  });

  // Resuming after any sequence number, cancel and provider failures, foreground and in the
  // background, are the shared streaming contract's (test/streaming-contract.test.ts).
  test('background returns at once as queued; its event stream opens queued, then goes in progress', async () => {
    const created = await client.responses.create({ model: 'mock-reasoner', input: 'Background work', background: true });
    assert.equal(created.status, 'queued');
    assert.equal(created.background, true);
    const full = await collect(await client.responses.retrieve(created.id, { stream: true }));
    assertWellFormed(full);
    assert.deepEqual(full.slice(0, 2).map((event) => [event.type, 'response' in event ? event.response.status : null]), [
      ['response.created', 'queued'],
      ['response.queued', 'queued'],
    ]);
    assert.equal(full[2]?.type, 'response.in_progress');
    const done = await client.responses.retrieve(created.id);
    assert.equal(done.status, 'completed');
    assert.match(done.output_text, /^Mock reply to "Background work"/);
  });

  test('responses.stream({response_id, starting_after}) resumes a background response and builds the whole final response', async () => {
    const created = await client.responses.create({ model: 'mock-reasoner', input: 'Resume by id', background: true });
    const seen: number[] = [];
    const stream = client.responses.stream({ response_id: created.id, starting_after: 3 });
    stream.on('event', (event) => seen.push(event.sequence_number));
    const final = await stream.finalResponse();
    assert.equal(seen[0], 4);
    assert.match(textOf(final), /^Mock reply to "Resume by id"/);
    assert.equal(final.status, 'completed');
  });

  test('responses.cancel is idempotent: cancelling again answers the same cancelled response', async () => {
    const created = await client.responses.create({ model: 'mock-reasoner', input: 'Cancel me', background: true });
    const cancelled = await client.responses.cancel(created.id);
    assert.equal(cancelled.status, 'cancelled');
    const twice = await client.responses.cancel(created.id);
    assert.deepEqual(twice, cancelled);
    assert.equal((await client.responses.retrieve(created.id)).status, 'cancelled');
  });

  test('store: false keeps the response out of the conversations; delete makes any response 404', async () => {
    const before = (await requestJson(`${server.url}/conversations`)).body.conversations.length;
    const response = await client.responses.create({ model: 'mock-model', input: 'Ephemeral', store: false });
    assert.equal((response as unknown as { store: boolean }).store, false);
    assert.equal((await requestJson(`${server.url}/conversations`)).body.conversations.length, before);
    assert.equal((await client.responses.retrieve(response.id)).output_text, response.output_text);
    const deleted = await requestJson(`${server.url}/v1/responses/${response.id}`, { method: 'DELETE' });
    assert.deepEqual(deleted.body, { id: response.id, object: 'response', deleted: true });
    await assert.rejects(client.responses.retrieve(response.id), (error: unknown) => error instanceof OpenAI.NotFoundError);
    const stored = await client.responses.create({ model: 'mock-model', input: 'Stored then deleted' });
    await client.responses.delete(stored.id);
    await assert.rejects(client.responses.retrieve(stored.id), (error: unknown) => error instanceof OpenAI.NotFoundError);
  });

  test('a streamed store: false response drops its run events once its stream is done; it stays readable, not streamable', async () => {
    const stream = await client.responses.create({ model: 'mock-model', input: 'Forget the events', store: false, stream: true });
    let text = '';
    let id = '';
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') id = event.response.id;
    }
    const runId = runIdOfResponse(id)!;
    const log = server.parley.core.log;
    for (let waited = 0; (await log.has(runId)) && waited < 2_000; waited += 20) await sleep(20);
    assert.equal(await log.has(runId), false, 'the run log no longer holds the events');
    const read = await client.responses.retrieve(id);
    assert.equal(read.status, 'completed');
    assert.equal(read.output_text, text);
    await assert.rejects(client.responses.retrieve(id, { stream: true }), (error: unknown) => error instanceof OpenAI.BadRequestError);
    const stored = await client.responses.create({ model: 'mock-model', input: 'Keep the events' });
    assert.equal(await log.has(runIdOfResponse(stored.id)!), true, 'a stored response keeps its events for the TTL');
  });

  test('stateless input with function calls and their outputs is passed as a chat history', async () => {
    const response = await client.responses.create({
      model: 'mock-model',
      store: false,
      input: [
        { role: 'user', content: 'Weather?' },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
        { role: 'user', content: 'So?' },
      ],
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false }],
    });
    assert.equal(response.status, 'completed');
    assert.match(response.output_text, /^Mock reply to "So\?"/);
    assert.equal(response.tools.length, 1);
    const items = await client.responses.inputItems.list(response.id, { order: 'asc' });
    assert.deepEqual(items.data.map((item) => item.type), ['message', 'function_call', 'function_call_output', 'message']);
  });

  test('bad requests are clear errors: unknown model 404, unsupported tool 400, unsupported input item 400', async () => {
    await assert.rejects(client.responses.create({ model: 'upstream:no-such-model', input: 'x', store: false }), (error: unknown) => error instanceof OpenAI.NotFoundError && /no-such-model/.test(error.message));
    await assert.rejects(client.responses.create({ model: 'upstream:no-such-model', input: 'x', stream: true, store: false }), (error: unknown) => error instanceof OpenAI.NotFoundError);
    await assert.rejects(client.responses.create({ model: 'mock-model', input: 'x', tools: [{ type: 'web_search' }] }), (error: unknown) => error instanceof OpenAI.BadRequestError && /web_search/.test(error.message));
    await assert.rejects(
      client.responses.create({ model: 'mock-model', input: [{ type: 'item_reference', id: 'msg_1' }] }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && /item_reference/.test(error.message),
    );
  });
});

describe('Responses tenancy and expiry', () => {
  let server: RunningParley;
  const alice = new OpenAI({ baseURL: 'http://127.0.0.1:1/v1', apiKey: 'alice-key', maxRetries: 0 });
  let bob: OpenAI;
  let aliceClient: OpenAI;
  before(async () => {
    server = await startParley({ API_KEYS: 'alice-key,bob-key', PARLEY_RUN_LOG_TTL_SECONDS: '1' });
    aliceClient = alice.withOptions({ baseURL: `${server.url}/v1` });
    bob = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'bob-key', maxRetries: 0 });
  });
  after(() => server.stop());

  test("another key's response id is 404 on every route and as previous_response_id", async () => {
    const response = await aliceClient.responses.create({ model: 'mock-model', input: 'Private' });
    const notFound = (error: unknown) => error instanceof OpenAI.NotFoundError;
    await assert.rejects(bob.responses.retrieve(response.id), notFound);
    await assert.rejects(bob.responses.retrieve(response.id, { stream: true }), notFound);
    await assert.rejects(bob.responses.cancel(response.id), notFound);
    await assert.rejects(bob.responses.delete(response.id), notFound);
    await assert.rejects(bob.responses.inputItems.list(response.id), notFound);
    await assert.rejects(bob.responses.create({ model: 'mock-model', input: 'x', previous_response_id: response.id }), notFound);
    assert.equal((await aliceClient.responses.retrieve(response.id)).status, 'completed');
  });

  test('a store: false response is gone once the run log drops its run; a stored one stays', async () => {
    const ephemeral = await aliceClient.responses.create({ model: 'mock-model', input: 'Short-lived', store: false });
    const stored = await aliceClient.responses.create({ model: 'mock-model', input: 'Long-lived' });
    await sleep(1_300);
    await assert.rejects(aliceClient.responses.retrieve(ephemeral.id), (error: unknown) => error instanceof OpenAI.NotFoundError);
    const kept = await aliceClient.responses.retrieve(stored.id);
    assert.equal(kept.output_text, stored.output_text);
    assert.deepEqual(kept, stored);
    await assert.rejects(aliceClient.responses.retrieve(stored.id, { stream: true }), (error: unknown) => error instanceof OpenAI.BadRequestError);
  });
});
