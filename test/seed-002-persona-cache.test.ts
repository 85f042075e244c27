/**
 * Seed 002's personas and response cache, seen from a real mock upstream
 * process: the persona's system prompt, model and temperature in the upstream
 * request, the seed's history bound, and cache hits, misses, expiry, eviction
 * and clearing counted in upstream requests.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { mockAnswer } from './helpers/mock-answer.js';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { collectSse } from './helpers/sse.js';
import { postStream, type Step } from './helpers/steps-api.js';

describe('personas and the response cache, seen from a real upstream (seed 002)', () => {
  let upstream: MockUpstreamProcess;
  let server: RunningParley;
  const directories: string[] = [];
  const shipped = (name: string) => JSON.parse(readFileSync(new URL(`../personas/${name}.json`, import.meta.url), 'utf8')) as { system_prompt: string };
  const coder = { name: 'coder', description: 'Writes code.', system_prompt: 'You write code.', default_model: 'coder-model', temperature: 0.3 };
  const upstreamEnvironment = () => ({ PARLEY_PROVIDER_BASE_URL: upstream.url, MODEL_NAME: 'mock-model', PARLEY_UPSTREAM_RETRIES: '0' });

  before(async () => {
    upstream = await spawnMockUpstream(['--any-model']);
    const directory = mkdtempSync(join(tmpdir(), 'parley-seed2-personas-'));
    directories.push(directory);
    for (const name of ['assistant', 'chai-mentor']) writeFileSync(join(directory, `${name}.json`), JSON.stringify(shipped(name)));
    writeFileSync(join(directory, 'coder.json'), JSON.stringify(coder));
    server = await startParley({ ...upstreamEnvironment(), PARLEY_PERSONAS_DIR: directory });
  });
  after(async () => {
    await server.stop();
    await upstream.stop();
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  const sendTo = (target: RunningParley, body: unknown) => requestJson(`${target.url}/api/chat/send`, { body });
  const chats = async () => (await upstream.admin.requests()).filter((request) => request.path === '/v1/chat/completions');
  const lastUpstreamBody = async () =>
    (await chats()).at(-1)!.body as { model: string; temperature?: number; messages: { role: string; content: string }[] };
  const stats = async (target: RunningParley) => (await requestJson(`${target.url}/api/chat/cache/stats`)).body.cache_stats as Record<string, number>;

  test('the persona picks the system prompt, model and temperature sent upstream; a switch sticks to the session', async () => {
    const turn = async (body: Record<string, unknown>) => {
      const response = await sendTo(server, { session_id: 'seed2-persona', ...body });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return { response: response.body, upstream: await lastUpstreamBody() };
    };
    const first = await turn({ content: 'one' });
    assert.equal(first.response.persona, 'assistant');
    assert.deepEqual(first.upstream.messages[0], { role: 'system', content: shipped('assistant').system_prompt });
    assert.match(first.upstream.messages[1]!.content, /^Think before you answer/);
    assert.deepEqual([first.upstream.model, first.upstream.temperature], ['mock-model', undefined]);

    const switched = await turn({ content: 'two', persona: 'chai-mentor' });
    assert.equal(switched.response.persona, 'chai-mentor');
    assert.deepEqual(switched.upstream.messages[0], { role: 'system', content: shipped('chai-mentor').system_prompt });
    assert.equal(switched.upstream.temperature, 0.8);
    assert.deepEqual(
      switched.upstream.messages.slice(2).map((message) => message.content),
      ['one', mockAnswer('one'), 'two'],
    );

    const kept = await turn({ content: 'three' });
    assert.equal(kept.upstream.messages[0]!.content, shipped('chai-mentor').system_prompt);
    assert.equal((await requestJson(`${server.url}/api/chat/history?session_id=seed2-persona`)).body.persona, 'chai-mentor');

    const withDefaults = await turn({ content: 'four', persona: 'coder' });
    assert.deepEqual([withDefaults.upstream.model, withDefaults.upstream.temperature], ['coder-model', 0.3]);
    assert.equal(withDefaults.upstream.messages[0]!.content, 'You write code.');
    const overridden = await turn({ content: 'five', model: 'mock-model', temperature: 0.1 });
    assert.deepEqual([overridden.upstream.model, overridden.upstream.temperature], ['mock-model', 0.1]);
  });

  test('an unknown persona is 400 naming persona, and nothing reaches the upstream', async () => {
    const before = (await chats()).length;
    const response = await sendTo(server, { content: 'hi', session_id: 'seed2-unknown-persona', persona: 'pirate' });
    assert.equal(response.status, 400);
    assert.equal(response.body.error.param, 'persona');
    assert.match(response.body.error.message, /persona "pirate" does not exist; available: assistant, chai-mentor, coder/);
    assert.equal((await chats()).length, before);
  });

  test('the last 10 stored messages are sent upstream (seed 002 "Max History: 10 messages")', async () => {
    for (let turn = 1; turn <= 6; turn += 1) await sendTo(server, { content: `turn ${turn}`, session_id: 'seed2-bounded' });
    const sent = (await lastUpstreamBody()).messages.filter((message) => message.role !== 'system');
    assert.equal(sent.length, 10);
    assert.equal(sent[0]!.content, mockAnswer('turn 1'));
    assert.equal(sent.at(-1)!.content, 'turn 6');
  });

  test('an identical request is a cache hit; persona, model or history make it a miss; clear empties', async () => {
    const cached = await startParley(upstreamEnvironment());
    try {
      const before = (await chats()).length;
      const first = await sendTo(cached, { content: 'cache me' });
      const second = await sendTo(cached, { content: 'cache me' });
      assert.equal((await chats()).length, before + 1, 'the second answer came from the cache');
      assert.equal(second.body.message.content, first.body.message.content);
      assert.notEqual(second.body.message.id, first.body.message.id, 'each turn stores its own answer');
      assert.deepEqual(
        (second.body.processing_steps as Step[]).map((step) => step.content),
        (first.body.processing_steps as Step[]).map((step) => step.content),
      );
      assert.deepEqual(await stats(cached), { cache_size: 1, cache_hit_rate: 0.5, avg_response_time: (await stats(cached)).avg_response_time, total_requests: 2, hits: 1, misses: 1, max_entries: 1000, ttl_seconds: 300 });
      assert.equal((await requestJson(`${cached.url}/api/chat/performance`)).body.performance_stats.cache_hit_rate, 0.5);
      const metrics = await (await fetch(`${cached.url}/metrics`)).text();
      assert.match(metrics, /^parley_cache_hits_total\{cache="responses"\} 1$/m);
      assert.match(metrics, /^parley_cache_misses_total\{cache="responses"\} 1$/m);

      const streamed = await collectSse(await postStream(cached.url, { content: 'cache me' }));
      assert.equal(JSON.parse(streamed.at(-1)!.data).content, first.body.message.content);
      assert.equal((await chats()).length, before + 1, 'the stream was served from the cache too');

      await sendTo(cached, { content: 'cache me', persona: 'chai-mentor' });
      assert.equal((await chats()).length, before + 2, 'another persona is a miss');
      await sendTo(cached, { content: 'cache me', model: 'other-model' });
      assert.equal((await chats()).length, before + 3, 'another model is a miss');
      await sendTo(cached, { content: 'cache me', session_id: 'seed2-cache-history' });
      assert.equal((await chats()).length, before + 3, 'a new session sends the same request: a hit');
      await sendTo(cached, { content: 'cache me', session_id: 'seed2-cache-history' });
      assert.equal((await chats()).length, before + 4, 'a longer history is a miss');

      const size = (await stats(cached)).cache_size;
      assert.equal(size, 4);
      const cleared = await requestJson(`${cached.url}/api/chat/cache/clear`, { method: 'POST' });
      assert.deepEqual([cleared.status, cleared.body], [200, { success: true, message: 'Cache cleared.', cleared_entries: 4 }]);
      assert.equal((await stats(cached)).cache_size, 0);
      await sendTo(cached, { content: 'cache me' });
      assert.equal((await chats()).length, before + 5, 'after clear the request goes upstream again');
    } finally {
      await cached.stop();
    }
  });

  test('answers that failed, before or after their first byte, are not cached', async () => {
    const cached = await startParley(upstreamEnvironment());
    try {
      for (const fault of [{ failStatus: 500 }, { dropAfter: 3 }]) {
        const content = `fail once ${JSON.stringify(fault)}`;
        await upstream.admin.setOptions({ ...fault, faultTimes: 1 });
        const failed = await sendTo(cached, { content });
        assert.equal(failed.status, 502, JSON.stringify(failed.body));
        const before = (await chats()).length;
        assert.equal((await sendTo(cached, { content })).status, 200);
        assert.equal((await chats()).length, before + 1, 'the failure was not replayed from the cache');
        assert.equal((await sendTo(cached, { content })).status, 200);
        assert.equal((await chats()).length, before + 1, 'the success was cached');
      }
    } finally {
      await upstream.admin.reset();
      await cached.stop();
    }
  });

  test('entries expire after PARLEY_CACHE_TTL_SECONDS', async () => {
    const cached = await startParley({ ...upstreamEnvironment(), PARLEY_CACHE_TTL_SECONDS: '1' });
    try {
      const before = (await chats()).length;
      await sendTo(cached, { content: 'short lived' });
      await sendTo(cached, { content: 'short lived' });
      assert.equal((await chats()).length, before + 1);
      await sleep(1_100);
      await sendTo(cached, { content: 'short lived' });
      assert.equal((await chats()).length, before + 2);
      assert.deepEqual([(await stats(cached)).hits, (await stats(cached)).misses], [1, 2]);
    } finally {
      await cached.stop();
    }
  });

  test('PARLEY_CACHE_MAX_ENTRIES bounds the cache, evicting the least recently used', async () => {
    const cached = await startParley({ ...upstreamEnvironment(), PARLEY_CACHE_MAX_ENTRIES: '2' });
    try {
      const before = (await chats()).length;
      for (const content of ['first', 'second', 'third']) await sendTo(cached, { content });
      assert.equal((await stats(cached)).cache_size, 2);
      await sendTo(cached, { content: 'third' });
      assert.equal((await chats()).length, before + 3, 'the newest entry is kept');
      await sendTo(cached, { content: 'first' });
      assert.equal((await chats()).length, before + 4, 'the oldest entry was evicted');
    } finally {
      await cached.stop();
    }
  });
});
