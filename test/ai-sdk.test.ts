import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DefaultChatTransport, readUIMessageStream, type UIMessage, type UIMessageChunk } from 'ai';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { startParley, requestJson, type RunningParley } from './helpers/parley.js';

/** A user UIMessage as useChat builds it. */
function userMessage(text: string, id = `u-${Math.random().toString(36).slice(2)}`): UIMessage {
  return { id, role: 'user', parts: [{ type: 'text', text }] };
}

/** Reads a chunk stream to its end: every chunk, and the message the AI SDK builds from it. */
async function consume(stream: ReadableStream<UIMessageChunk>): Promise<{ chunks: UIMessageChunk[]; message: UIMessage | undefined }> {
  const chunks: UIMessageChunk[] = [];
  const [forChunks, forMessage] = stream.tee();
  const reading = (async () => {
    for await (const chunk of forChunks) chunks.push(chunk);
  })();
  let message: UIMessage | undefined;
  for await (const snapshot of readUIMessageStream({ stream: forMessage, terminateOnError: true })) message = snapshot;
  await reading;
  return { chunks, message };
}

/** Only what a stored and a streamed message must share: id, role, part types and texts. */
function essence(message: UIMessage | undefined) {
  return {
    id: message?.id,
    role: message?.role,
    parts: message?.parts.map((part) => ('text' in part ? { type: part.type, text: part.text } : { type: part.type })),
  };
}

async function stored(server: RunningParley, chatId: string, headers: Record<string, string> = {}) {
  const response = await requestJson(`${server.url}/ai-sdk/chat/${chatId}/messages`, { headers });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body as { conversationId: string; messages: UIMessage<{ runId?: string; status?: string; siblings?: string[]; usage?: Record<string, number> }>[] };
}

function transportFor(server: RunningParley, options: { model?: string; headers?: Record<string, string> } = {}) {
  return new DefaultChatTransport<UIMessage>({ api: `${server.url}/ai-sdk/chat`, body: { model: options.model ?? 'mock-reasoner' }, headers: options.headers });
}

describe('AI SDK UI message stream, read by the ai package', () => {
  let server: RunningParley;
  // A real provider beside the built-in mock (which answers any model id), so an unknown model is a provider's 404.
  let upstream: MockUpstreamProcess;
  before(async () => {
    upstream = await spawnMockUpstream([]);
    server = await startParley({ PARLEY_MOCK_CHUNK_DELAY_MS: '15', PARLEY_PROVIDER_BASE_URL: upstream.url, PARLEY_PROVIDER_NAME: 'upstream', PARLEY_DEFAULT_PROVIDER: 'mock', PARLEY_UPSTREAM_RETRIES: '0' });
  });
  after(async () => {
    await server.stop();
    await upstream.stop();
  });

  test('DefaultChatTransport + readUIMessageStream rebuild exactly the stored answer, reasoning and text as separate parts', async () => {
    const transport = transportFor(server);
    const stream = await transport.sendMessages({ chatId: 'node-chat-1', messages: [userMessage('Hello there')], trigger: 'submit-message', messageId: undefined, abortSignal: undefined });
    const { chunks, message } = await consume(stream);
    const types = chunks.map((chunk) => chunk.type);
    assert.deepEqual(types.slice(0, 4), ['start', 'start-step', 'reasoning-start', 'reasoning-delta']);
    assert.deepEqual(types.slice(-4), ['text-delta', 'text-end', 'finish-step', 'finish']);
    assert.ok(types.indexOf('reasoning-end') < types.indexOf('text-start'), 'reasoning ends before the text starts');
    const history = await stored(server, 'node-chat-1');
    assert.equal(history.messages.length, 2);
    const answer = history.messages[1]!;
    assert.deepEqual(essence(message), essence(answer));
    assert.deepEqual(
      message?.parts.map((part) => part.type),
      ['step-start', 'reasoning', 'text'],
    );
    assert.match((message?.parts[2] as { text: string }).text, /^Mock reply to "Hello there"/);
    const finish = chunks.at(-1) as { finishReason: string; messageMetadata: { usage: { completion_tokens: number } } };
    assert.equal(finish.finishReason, 'stop');
    assert.ok(finish.messageMetadata.usage.completion_tokens > 0);
    const { siblings, ...storedMetadata } = answer.metadata!;
    assert.deepEqual(siblings, [answer.id]);
    assert.deepEqual(message?.metadata, { ...storedMetadata, provider: 'mock' }, 'streamed metadata (start merged with finish) matches the stored one');
    assert.equal(storedMetadata.status, 'complete');
  });

  test('the stored history is the context: the next turn sends only the new message and the chat grows to four messages', async () => {
    const transport = transportFor(server, { model: 'mock-model' });
    const first = await stored(server, 'node-chat-1');
    const stream = await transport.sendMessages({
      chatId: 'node-chat-1',
      messages: [...first.messages, userMessage('And a follow-up')],
      trigger: 'submit-message',
      messageId: undefined,
      abortSignal: undefined,
    });
    const { message } = await consume(stream);
    const history = await stored(server, 'node-chat-1');
    assert.deepEqual(history.messages.map((entry) => entry.role), ['user', 'assistant', 'user', 'assistant']);
    assert.deepEqual(essence(message), essence(history.messages[3]));
    assert.deepEqual(message?.parts.map((part) => part.type), ['step-start', 'text']);
  });

  test('reconnectToStream replays a running answer from its start after the client dropped, and ends as stored', async () => {
    const transport = transportFor(server);
    const abort = new AbortController();
    const stream = await transport.sendMessages({ chatId: 'node-chat-resume', messages: [userMessage('Tell me more')], trigger: 'submit-message', messageId: undefined, abortSignal: abort.signal });
    const reader = stream.getReader();
    for (let read = 0; read < 6; read += 1) await reader.read();
    abort.abort();
    await reader.cancel().catch(() => undefined);
    const resumed = await transport.reconnectToStream({ chatId: 'node-chat-resume' });
    assert.ok(resumed !== null, 'a running answer is offered');
    const { chunks, message } = await consume(resumed);
    assert.equal(chunks[0]?.type, 'start');
    assert.equal(chunks.at(-1)?.type, 'finish');
    const history = await stored(server, 'node-chat-resume');
    assert.equal(history.messages[1]?.metadata?.status, 'complete');
    assert.deepEqual(essence(message), essence(history.messages[1]));
  });

  test('reconnectToStream answers null (204) for a chat with nothing running and for an unknown chat', async () => {
    const transport = transportFor(server);
    assert.equal(await transport.reconnectToStream({ chatId: 'never-used-chat' }), null);
    const response = await fetch(`${server.url}/ai-sdk/chat/never-used-chat/stream`);
    assert.equal(response.status, 204);
  });

  // Resume after any event id, the stop route ending the stream with one terminal chunk, and
  // provider failures are the shared streaming contract's (test/streaming-contract.test.ts).
  test('POST /ai-sdk/chat/{id}/stop names the stopped answer, and stopping again says nothing was running', async () => {
    const transport = transportFor(server);
    const stream = await transport.sendMessages({ chatId: 'node-chat-stop', messages: [userMessage('Stop me')], trigger: 'submit-message', messageId: undefined, abortSignal: undefined });
    const reader = stream.getReader();
    for (let read = 0; read < 5; read += 1) await reader.read();
    const stop = await requestJson(`${server.url}/ai-sdk/chat/node-chat-stop/stop`, { method: 'POST' });
    assert.equal(stop.status, 200);
    assert.equal(stop.body.stopped, true);
    while (!(await reader.read()).done);
    const history = await stored(server, 'node-chat-stop');
    assert.equal(history.messages[1]?.metadata?.status, 'cancelled');
    assert.equal(history.messages[1]?.id, stop.body.messageId);
    const again = await requestJson(`${server.url}/ai-sdk/chat/node-chat-stop/stop`, { method: 'POST' });
    assert.deepEqual(again.body, { stopped: false, messageId: null, status: null });
  });

  test('regenerate-message answers again as a sibling; /branch switches back to the first answer', async () => {
    const transport = transportFor(server, { model: 'mock-model' });
    await consume(await transport.sendMessages({ chatId: 'node-chat-regen', messages: [userMessage('Pick a color')], trigger: 'submit-message', messageId: undefined, abortSignal: undefined }));
    const before = await stored(server, 'node-chat-regen');
    const firstAnswer = before.messages[1]!;
    const { message } = await consume(
      await transport.sendMessages({ chatId: 'node-chat-regen', messages: [before.messages[0]!], trigger: 'regenerate-message', messageId: firstAnswer.id, abortSignal: undefined }),
    );
    assert.notEqual(message?.id, firstAnswer.id);
    const after = await stored(server, 'node-chat-regen');
    assert.equal(after.messages.length, 2);
    assert.equal(after.messages[1]?.id, message?.id);
    assert.deepEqual(after.messages[1]?.metadata?.siblings, [firstAnswer.id, message?.id]);
    const switched = await requestJson(`${server.url}/ai-sdk/chat/node-chat-regen/branch`, { body: { messageId: firstAnswer.id } });
    assert.equal(switched.status, 200);
    assert.equal(switched.body.messages[1].id, firstAnswer.id);
    assert.deepEqual((await stored(server, 'node-chat-regen')).messages.map((entry) => entry.id), [before.messages[0]!.id, firstAnswer.id]);
  });

  test('bad requests are clear 4xx before any stream: no user message, unknown model, unknown answer to switch to', async () => {
    const noUser = await requestJson(`${server.url}/ai-sdk/chat`, { body: { id: 'bad-1', trigger: 'submit-message', messages: [{ id: 'a', role: 'assistant', parts: [{ type: 'text', text: 'hi' }] }] } });
    assert.equal(noUser.status, 400);
    assert.equal(noUser.body.error.code, 'validation_failed');
    const transport = transportFor(server, { model: 'upstream:no-such-model' });
    await assert.rejects(
      transport.sendMessages({ chatId: 'bad-2', messages: [userMessage('hi')], trigger: 'submit-message', messageId: undefined, abortSignal: undefined }),
      /model_not_found/,
    );
    const branch = await requestJson(`${server.url}/ai-sdk/chat/bad-2/branch`, { body: { messageId: '00000000-0000-0000-0000-000000000000' } });
    assert.equal(branch.status, 404);
    assert.equal(branch.body.error.code, 'message_not_found');
  });
});

describe('AI SDK surface tenancy', () => {
  let server: RunningParley;
  const alice = { 'x-api-key': 'alice-key' };
  const bob = { 'x-api-key': 'bob-key' };
  before(async () => {
    server = await startParley({ API_KEYS: 'alice-key,bob-key' });
  });
  after(() => server.stop());

  test("another key's chat id is 404 (or 204 for resume), and posting to it starts that key's own chat", async () => {
    await consume(await transportFor(server, { headers: alice }).sendMessages({ chatId: 'shared-name', messages: [userMessage('Secret of alice')], trigger: 'submit-message', messageId: undefined, abortSignal: undefined }));
    const aliceHistory = await stored(server, 'shared-name', alice);
    for (const [method, path, body] of [
      ['GET', '/ai-sdk/chat/shared-name/messages', undefined],
      ['POST', '/ai-sdk/chat/shared-name/stop', undefined],
      ['POST', '/ai-sdk/chat/shared-name/branch', { messageId: aliceHistory.messages[1]!.id }],
      ['GET', `/ai-sdk/chat/${aliceHistory.conversationId}/messages`, undefined],
    ] as const) {
      const response = await requestJson(server.url + path, { method, body, headers: bob });
      assert.equal(response.status, 404, `${method} ${path}`);
    }
    assert.equal((await fetch(`${server.url}/ai-sdk/chat/shared-name/stream`, { headers: bob })).status, 204);
    const regenerate = await requestJson(`${server.url}/ai-sdk/chat`, {
      headers: bob,
      body: { id: 'shared-name', trigger: 'regenerate-message', messageId: aliceHistory.messages[1]!.id, messages: [aliceHistory.messages[0]] },
    });
    assert.equal(regenerate.status, 404);
    assert.equal(regenerate.body.error.code, 'conversation_not_found');
    await consume(await transportFor(server, { headers: bob }).sendMessages({ chatId: 'shared-name', messages: [userMessage('Bob here')], trigger: 'submit-message', messageId: undefined, abortSignal: undefined }));
    const bobHistory = await stored(server, 'shared-name', bob);
    assert.notEqual(bobHistory.conversationId, aliceHistory.conversationId);
    assert.equal(bobHistory.messages.length, 2);
    assert.equal((await stored(server, 'shared-name', alice)).messages.length, 2);
    const missingKey = await requestJson(`${server.url}/ai-sdk/chat/shared-name/messages`);
    assert.equal(missingKey.status, 401);
  });

  test('a chat id may be one of your conversation ids: the playground continues conversations started elsewhere', async () => {
    const created = await requestJson(`${server.url}/conversations`, { headers: alice, body: { default_model: 'mock-model' } });
    await consume(await transportFor(server, { headers: alice }).sendMessages({ chatId: created.body.id, messages: [userMessage('Hi')], trigger: 'submit-message', messageId: undefined, abortSignal: undefined }));
    const messages = await requestJson(`${server.url}/conversations/${created.body.id}/messages`, { headers: alice });
    assert.deepEqual(messages.body.messages.map((message: { role: string }) => message.role), ['user', 'assistant']);
  });
});
