/**
 * The run log's memory with real clients: a stateless `/v1` answer is held only
 * while its reader has not read it, and a reader that stops reading holds the
 * upstream back instead of letting the whole answer pile up in the log.
 */
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { MemoryRunEventLog } from '../src/runs/event-log.js';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { collectSse } from './helpers/sse.js';

/** Chunks of the huge answer: ~6 characters each, ~20 MB of upstream SSE, ~16 MB (estimated) as log events: more than the budget plus what the socket buffers absorb. */
const HUGE_CHUNKS = 100_000;
const LOG_BUDGET_BYTES = 4 * 1024 * 1024;
/** The log's default read-ahead of a consuming reader (MemoryLogLimits.readAheadBytes). */
const READ_AHEAD_BYTES = 1024 * 1024;

describe('run log memory', () => {
  let upstream: MockUpstreamProcess;
  let server: RunningParley;
  let log: MemoryRunEventLog;

  before(async () => {
    upstream = await spawnMockUpstream(['--chunks', '8']);
    server = await startParley({
      PARLEY_PROVIDER_BASE_URL: upstream.url,
      PARLEY_UPSTREAM_RETRIES: '0',
      PARLEY_RUN_LOG_MAX_BYTES: String(LOG_BUDGET_BYTES),
      MODEL_NAME: 'mock-model',
    });
    assert.ok(server.parley.core.log instanceof MemoryRunEventLog);
    log = server.parley.core.log;
  });
  after(async () => {
    await server.stop();
    await upstream.stop();
  });

  test('a /v1 answer, streamed or not, leaves nothing in the log once it was delivered', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const json = await client.chat.completions.create({ model: 'mock-model', messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(json.choices[0]?.finish_reason, 'stop');
    const stream = await client.chat.completions.create({ model: 'mock-model', messages: [{ role: 'user', content: 'hello' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    assert.equal(text, json.choices[0]?.message.content);
    const runId = json.id.replace(/^chatcmpl-/, '');
    assert.equal(await log.has(runId), false, 'the JSON answer was dropped');
    assert.equal(log.heldBytes, 0, 'no events of delivered stateless answers are held');
  });

  test('a reader that stops reading a huge answer holds the upstream back: the log stays within its budget and the answer arrives whole', async () => {
    await upstream.admin.setOptions({ chunkCount: HUGE_CHUNKS });
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, log.heldBytes)), 5);
    try {
      const response = await new Promise<IncomingMessage>((resolve, reject) => {
        const body = JSON.stringify({ model: 'mock-model', messages: [{ role: 'user', content: 'a long one' }], stream: true });
        const outgoing = httpRequest(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, resolve);
        outgoing.on('error', reject);
        outgoing.end(body);
      });
      assert.equal(response.statusCode, 200);
      // The trickle: nothing is read until the pipeline stands still (the log stops changing),
      // held back by the reader, or the whole answer was read from the upstream.
      response.pause();
      // Once the socket buffers are full the log holds what the reader has not read; it stops
      // changing when the run is held back (or ended for lack of room).
      let last = -1;
      for (let waited = 0; waited < 120 && (log.heldBytes === 0 || log.heldBytes !== last); waited += 1) {
        last = log.heldBytes;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const pausedPeak = peak;
      let chunks = 0;
      let finish: string | null = null;
      let tail = '';
      response.setEncoding('utf8');
      for await (const text of response as AsyncIterable<string>) {
        const frames = (tail + text).split('\n\n');
        tail = frames.pop()!;
        for (const frame of frames) {
          if (!frame.startsWith('data: {')) continue;
          const parsed = JSON.parse(frame.slice(6)) as { choices?: { delta: { content?: string }; finish_reason: string | null }[]; error?: { code: string } };
          if (parsed.error !== undefined) finish = parsed.error.code;
          const choice = parsed.choices?.[0];
          if (choice?.delta.content !== undefined && choice.delta.content !== '') chunks += 1;
          if (choice?.finish_reason) finish = choice.finish_reason;
        }
      }
      assert.equal(finish, 'stop', 'the answer completed (it did not fail with run_log_full)');
      assert.equal(chunks, HUGE_CHUNKS);
      assert.ok(pausedPeak > 0, 'the log held part of the answer while the reader paused');
      assert.ok(peak <= LOG_BUDGET_BYTES, `log peak ${peak} B within the ${LOG_BUDGET_BYTES} B budget`);
      assert.ok(pausedPeak <= 2 * READ_AHEAD_BYTES, `the paused reader held ${pausedPeak} B, at most about the read-ahead`);
      assert.equal(log.heldBytes, 0);
    } finally {
      clearInterval(sampler);
      await upstream.admin.reset();
    }
  });
});

describe('run log full', () => {
  let server: RunningParley;
  before(async () => {
    // Room for a few events: the stored answer (24 deltas) cannot fit.
    server = await startParley({ PARLEY_RUN_LOG_MAX_BYTES: '1200', PARLEY_MOCK_CHUNK_DELAY_MS: '1' });
  });
  after(() => server.stop());

  test('a stored answer ended by run_log_full is stored as failed with that code and the text streamed so far', async () => {
    const conversation = (await requestJson(`${server.url}/conversations`, { body: {} })).body as { id: string };
    assert.equal((await requestJson(`${server.url}/conversations/${conversation.id}/messages`, { body: { message: 'a long one' } })).status, 200);
    const events = await collectSse(await fetch(`${server.url}/conversations/${conversation.id}/stream`));
    const data = events.filter((event) => event.event === undefined).map((event) => JSON.parse(event.data) as { content?: string; done?: boolean; code?: string });
    assert.equal(data.at(-1)?.code, 'run_log_full', 'the stream ends with the log error');
    const streamed = data.map((item) => item.content ?? '').join('');
    assert.ok(streamed.length > 0, 'part of the answer was streamed before the log was full');
    const listed = (await requestJson(`${server.url}/conversations/${conversation.id}/messages`)).body as {
      messages: { role: string; status: string; content: string; error?: { code: string } }[];
    };
    const answer = listed.messages[1]!;
    assert.equal(answer.status, 'failed', 'the stored status agrees with the log (not interrupted)');
    assert.equal(answer.error?.code, 'run_log_full');
    assert.ok(answer.content.startsWith(streamed), 'the stored answer keeps what was streamed');
  });
});
