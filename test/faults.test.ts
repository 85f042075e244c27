import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { collectSse } from './helpers/sse.js';

/** Faults injected before the first byte: documented HTTP status and code on every surface. */
const EARLY_FAULTS: { name: string; options: Record<string, unknown>; model?: string; status: number; code: string }[] = [
  { name: 'provider rejects the key', options: { failStatus: 401 }, status: 502, code: 'upstream_auth_failed' },
  { name: 'unknown model', options: {}, model: 'custom:no-such-model', status: 404, code: 'model_not_found' },
  { name: 'provider rate limits', options: { failStatus: 429, retryAfterSeconds: 7 }, status: 429, code: 'upstream_rate_limited' },
  { name: 'provider 500', options: { failStatus: 500 }, status: 502, code: 'upstream_unavailable' },
  { name: 'provider 503', options: { failStatus: 503 }, status: 502, code: 'upstream_unavailable' },
  { name: 'no first byte in time', options: { ttftMs: 1500 }, status: 504, code: 'upstream_timeout' },
];

/** Faults after the first byte: a 200 stream that ends with an error event; partial text kept. */
const MID_STREAM_FAULTS: { name: string; options: Record<string, unknown>; code: string }[] = [
  { name: 'connection dropped after 3 chunks', options: { dropAfter: 3 }, code: 'upstream_unavailable' },
  { name: 'malformed chunk after 3 chunks', options: { malformedAfter: 3 }, code: 'upstream_bad_response' },
  { name: 'stream stalls after 3 chunks', options: { stallAfter: 3 }, code: 'upstream_timeout' },
];

describe('upstream faults', () => {
  let upstream: MockUpstreamProcess;
  let server: RunningParley;
  let client: OpenAI;

  before(async () => {
    upstream = await spawnMockUpstream(['--chunks', '12']);
    server = await startParley({
      PARLEY_PROVIDER_BASE_URL: upstream.url,
      PARLEY_FIRST_BYTE_TIMEOUT_MS: '400',
      PARLEY_UPSTREAM_IDLE_TIMEOUT_MS: '400',
      PARLEY_UPSTREAM_RETRIES: '0',
      MODEL_NAME: 'mock-model',
    });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(async () => {
    await server.stop();
    await upstream.stop();
  });
  beforeEach(() => upstream.admin.reset());

  /** The upstream's record of the chat request, polled until it shows the abort (or ~1 s passed). */
  const upstreamChatOnceAborted = async () => {
    let recorded;
    for (let attempt = 0; attempt < 50; attempt += 1) {
      recorded = (await upstream.admin.requests()).find((request) => request.path === '/v1/chat/completions');
      if (recorded?.aborted) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return recorded;
  };

  const conversationWithMessage = async (text: string) => {
    const conversation = (await requestJson(`${server.url}/conversations`, { body: {} })).body;
    await requestJson(`${server.url}/conversations/${conversation.id}/messages`, { body: { message: text } });
    return conversation.id as string;
  };
  const storedAnswer = async (conversationId: string) =>
    (await requestJson(`${server.url}/conversations/${conversationId}/messages`)).body.messages.at(-1);

  for (const fault of EARLY_FAULTS) {
    test(`${fault.name}: /v1 answers ${fault.status} ${fault.code}, then the next request succeeds`, async () => {
      await upstream.admin.setOptions({ ...fault.options, faultTimes: 1 });
      await assert.rejects(
        client.chat.completions.create({ model: fault.model ?? 'mock-model', messages: [{ role: 'user', content: 'hi' }], stream: true }),
        (error: unknown) => {
          assert.ok(error instanceof OpenAI.APIError, String(error));
          assert.equal(error.status, fault.status);
          assert.equal(error.code, fault.code);
          if (fault.status === 429) assert.equal(error.headers?.get('retry-after'), '7');
          return true;
        },
      );
      // Faults such as a slow first token are settings, not one-offs: clear them.
      await upstream.admin.reset();
      const completion = await client.chat.completions.create({ model: 'mock-model', messages: [{ role: 'user', content: 'hi' }] });
      assert.match(completion.choices[0]?.message.content ?? '', /^Mock reply to "hi":/);
    });

    test(`${fault.name}: the conversation stream answers ${fault.status} and stores the answer as failed`, async () => {
      await upstream.admin.setOptions({ ...fault.options, faultTimes: 1 });
      const id = await conversationWithMessage('hello');
      const query = fault.model === undefined ? '' : `?model=${fault.model}`;
      const response = await requestJson(`${server.url}/conversations/${id}/stream${query}`);
      assert.equal(response.status, fault.status);
      assert.equal(response.body.error.code, fault.code);
      const answer = await storedAnswer(id);
      assert.equal(answer.status, 'failed');
      assert.equal(answer.error.code, fault.code);
    });
  }

  for (const fault of MID_STREAM_FAULTS) {
    test(`${fault.name}: /v1 stream ends with an error after the partial text`, async () => {
      await upstream.admin.setOptions({ ...fault.options, faultTimes: 1 });
      const stream = await client.chat.completions.create({ model: 'mock-model', messages: [{ role: 'user', content: 'partial' }], stream: true });
      let text = '';
      await assert.rejects(
        (async () => {
          for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
        })(),
        (error: unknown) => {
          assert.ok(error instanceof OpenAI.APIError, String(error));
          assert.match(error.message, /upstream|stream|provider/i);
          return true;
        },
      );
      assert.match(text, /^Mock reply to "partial":/);
      const next = await client.chat.completions.create({ model: 'mock-model', messages: [{ role: 'user', content: 'again' }] });
      assert.equal(next.choices[0]?.finish_reason, 'stop');
    });

    test(`${fault.name}: non-streaming /v1 answers the error status, never a truncated 200`, async () => {
      await upstream.admin.setOptions({ ...fault.options, faultTimes: 1 });
      const response = await requestJson(`${server.url}/v1/chat/completions`, {
        body: { model: 'mock-model', messages: [{ role: 'user', content: 'partial' }] },
      });
      assert.equal(response.status, fault.code === 'upstream_timeout' ? 504 : 502);
      assert.equal(response.body.error.code, fault.code);
    });

    test(`${fault.name}: conversation stream ends with an error event; partial answer stored as failed`, async () => {
      await upstream.admin.setOptions({ ...fault.options, faultTimes: 1 });
      const id = await conversationWithMessage('partial');
      const response = await fetch(`${server.url}/conversations/${id}/stream`);
      assert.equal(response.status, 200);
      const events = (await collectSse(response)).filter((event) => event.event === undefined).map((event) => JSON.parse(event.data));
      const last = events.at(-1);
      assert.equal(last.done, true);
      assert.equal(last.code, fault.code);
      const text = events.slice(0, -1).map((event) => event.content).join('');
      assert.match(text, /^Mock reply to "partial":/);
      const answer = await storedAnswer(id);
      assert.equal(answer.status, 'failed');
      assert.equal(answer.content, text);
      assert.equal(answer.error.code, fault.code);
    });
  }

  test('connection refused: 502 upstream_unavailable', async () => {
    const dead = await startParley({ PARLEY_PROVIDER_BASE_URL: 'http://127.0.0.1:1/v1', PARLEY_UPSTREAM_RETRIES: '0' });
    try {
      const response = await requestJson(`${dead.url}/v1/chat/completions`, {
        body: { model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true },
      });
      assert.equal(response.status, 502);
      assert.equal(response.body.error.code, 'upstream_unavailable');
    } finally {
      await dead.stop();
    }
  });

  test('a 5xx before the first byte is retried with backoff and the client never sees it', async () => {
    const retrying = await startParley({ PARLEY_PROVIDER_BASE_URL: upstream.url, PARLEY_UPSTREAM_RETRIES: '2', MODEL_NAME: 'mock-model' });
    try {
      await upstream.admin.setOptions({ failStatus: 503, faultTimes: 2 });
      const response = await requestJson(`${retrying.url}/v1/chat/completions`, {
        body: { model: 'mock-model', messages: [{ role: 'user', content: 'retry' }] },
      });
      assert.equal(response.status, 200);
      assert.match(response.body.choices[0].message.content, /^Mock reply to "retry":/);
      const chats = (await upstream.admin.requests()).filter((request) => request.path === '/v1/chat/completions');
      assert.equal(chats.length, 3);
    } finally {
      await retrying.stop();
    }
  });

  test('a /v1 client that disconnects before the first token cancels the run and aborts the upstream request', async () => {
    await upstream.admin.setOptions({ ttftMs: 300 });
    const controller = new AbortController();
    const pending = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock-model', messages: [{ role: 'user', content: 'leaving early' }], stream: true }),
      signal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    await assert.rejects(pending);
    assert.equal((await upstreamChatOnceAborted())?.aborted, true);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^parley_open_streams 0$/m);
  });

  test('a /v1 client that disconnects mid-stream aborts the upstream request', async () => {
    await upstream.admin.setOptions({ tokenRate: 50, chunkCount: 200 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'mock-model', messages: [{ role: 'user', content: 'long' }], stream: true },
      { signal: controller.signal },
    );
    let chunks = 0;
    // The SDK ends iteration quietly on abort, as a user's own cancel button would.
    for await (const _chunk of stream) if (++chunks === 3) controller.abort();
    assert.ok(chunks < 200, `the stream went on after the abort (${chunks} chunks)`);
    assert.equal((await upstreamChatOnceAborted())?.aborted, true);
  });
});
