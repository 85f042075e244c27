/**
 * Issue 9: any number of Parley instances on one PostgreSQL database and one
 * Redis serve any run from any instance. Three real `node dist/cli/index.js
 * serve` processes (A, B, C) share a fresh database and Redis db 6, and a real
 * mock upstream (slow enough that answers are still streaming when the test
 * acts on them). Skipped with a visible reason without PostgreSQL and Redis;
 * required in .ci/run (PARLEY_REQUIRE_SERVICES=1).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createKey } from './helpers/keys-cli.js';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { requestJson } from './helpers/parley.js';
import { createTestDatabase, flushTestRedis, freePort, redisServerAvailable, scaledSkipReason, startOwnRedis, TEST_REDIS_URL, type TestDatabase } from './helpers/scaled.js';
import { spawnServer } from './helpers/server-process.js';
import { readSse } from './helpers/sse.js';

const skip = await scaledSkipReason();
/** Short, so a dead instance's answers are recovered quickly; heartbeats every lease / 3. */
const LEASE_SECONDS = 2;
/** Answer pace of the mock upstream: 40 chunks at 20/s, two seconds per answer. */
const UPSTREAM_ARGS = ['--token-rate', '20', '--chunks', '40', '--any-model'];

/** Starts one instance on the shared database and Redis. */
async function startInstance(name: string, shared: { databaseUrl: string; redisUrl: string; upstreamUrl: string }, extra: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), `parley-scale-${name}-`));
  const server = await spawnServer(
    {
      PARLEY_DATA_DIR: dataDir,
      PARLEY_INSTANCE_ID: `instance-${name}`,
      DATABASE_URL: shared.databaseUrl,
      REDIS_URL: shared.redisUrl,
      PARLEY_PROVIDER_BASE_URL: shared.upstreamUrl,
      MODEL_NAME: 'mock-model',
      PARLEY_RUN_LEASE_SECONDS: String(LEASE_SECONDS),
      PARLEY_RATE_LIMIT_IP_PER_MINUTE: '0',
      PARLEY_KEY_CACHE_SECONDS: '1',
      ...extra,
    },
    [],
    'built',
  );
  return Object.assign(server, { dispose: () => rmSync(dataDir, { recursive: true, force: true }) });
}

type Instance = Awaited<ReturnType<typeof startInstance>>;

/** SSE frames of a conversation stream, with their ids. */
interface Frame {
  id: string | undefined;
  data: Record<string, unknown>;
}

describe('scaled out: three instances on one PostgreSQL and one Redis', { skip }, () => {
  let database: TestDatabase;
  let upstream: MockUpstreamProcess;
  let a: Instance;
  let b: Instance;
  let c: Instance;
  let auth: Record<string, string>;
  let shared: { databaseUrl: string; redisUrl: string; upstreamUrl: string };
  const keyDir = mkdtempSync(join(tmpdir(), 'parley-scale-keys-'));

  before(async () => {
    await flushTestRedis();
    database = await createTestDatabase();
    upstream = await spawnMockUpstream(UPSTREAM_ARGS);
    shared = { databaseUrl: database.url, redisUrl: TEST_REDIS_URL, upstreamUrl: upstream.url };
    // `parley keys` against PostgreSQL (it migrates the empty database); the instances find the key there.
    const key = await createKey(keyDir, 'scale-tests', 1_000_000, { DATABASE_URL: database.url });
    auth = { authorization: `Bearer ${key.key}` };
    [a, b, c] = (await Promise.all(['a', 'b', 'c'].map((name) => startInstance(name, shared)))) as [Instance, Instance, Instance];
  });
  after(async () => {
    for (const instance of [a, b, c]) {
      if (instance === undefined) continue;
      await instance.stop('SIGTERM');
      instance.dispose();
    }
    await upstream?.stop();
    await database?.drop();
    rmSync(keyDir, { recursive: true, force: true });
  });

  const json = (instance: Instance, path: string, options: { method?: string; body?: unknown } = {}) =>
    requestJson(`${instance.url}${path}`, { ...options, headers: auth });

  /** A conversation with a user message waiting for its answer. */
  const conversationOn = async (instance: Instance, text: string): Promise<string> => {
    const conversation = await json(instance, '/conversations', { body: {} });
    assert.equal(conversation.status, 200, JSON.stringify(conversation.body));
    const message = await json(instance, `/conversations/${conversation.body.id}/messages`, { body: { message: text } });
    assert.ok(message.status < 300, JSON.stringify(message.body));
    return conversation.body.id as string;
  };

  /** Opens the conversation's stream (a new answer, or a resume after `lastEventId`). */
  const openStream = async (instance: Instance, conversationId: string, lastEventId?: string) => {
    const controller = new AbortController();
    const response = await fetch(`${instance.url}/conversations/${conversationId}/stream`, {
      headers: { ...auth, accept: 'text/event-stream', ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }) },
      signal: controller.signal,
    });
    assert.equal(response.status, 200, await (response.status === 200 ? Promise.resolve('') : response.text()));
    const frames = readSse(response);
    return {
      controller,
      /** Reads frames until `stop` says so (inclusive) or the stream ends. */
      async take(stop: (frame: Frame, count: number) => boolean): Promise<Frame[]> {
        const taken: Frame[] = [];
        for (;;) {
          const next = await frames.next();
          if (next.done === true) return taken;
          const frame = { id: next.value.id, data: JSON.parse(next.value.data) as Record<string, unknown> };
          taken.push(frame);
          if (stop(frame, taken.length)) return taken;
        }
      },
    };
  };
  const textOf = (frames: readonly Frame[]) => frames.map((frame) => (typeof frame.data.content === 'string' ? frame.data.content : '')).join('');
  const lastAnswer = async (instance: Instance, conversationId: string) => {
    const messages = await json(instance, `/conversations/${conversationId}/messages`);
    return messages.body.messages.at(-1) as { status: string; content: string; run_id: string };
  };
  /** Polls until `check` returns a value, for up to `seconds`. */
  const eventually = async <T>(what: string, seconds: number, check: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) assert.fail(`${what}: not within ${seconds} s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  test('a stream started on A resumes on B from an event id: nothing lost or repeated, and the stored text is what the client got', async () => {
    const conversationId = await conversationOn(a, 'resume me on another instance');
    const first = await openStream(a, conversationId);
    const before = await first.take((frame, count) => count >= 5 && frame.id !== undefined);
    first.controller.abort();
    const resumed = await openStream(b, conversationId, before.at(-1)!.id);
    const rest = await resumed.take((frame) => frame.data.done === true);
    const frames = [...before, ...rest];
    const ids = frames.map((frame) => Number(frame.id!.split(':').at(-1)));
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y), 'ids increase');
    assert.equal(new Set(ids).size, ids.length, 'no frame twice');
    assert.equal(rest.at(-1)?.data.done, true);
    assert.equal(rest.at(-1)?.data.finish_reason, 'stop');
    const stored = await eventually('answer stored complete', 10, async () => {
      const answer = await lastAnswer(c, conversationId);
      return answer.status === 'complete' ? answer : undefined;
    });
    assert.equal(stored.content, textOf(frames));
    assert.ok(stored.content.length > 20);
  });

  test('a task started on A is polled on B and read on C', async () => {
    const started = await json(a, '/chat/start', { body: { user_id: 'scale-user', message: 'a task across instances' } });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const taskId = started.body.task_id as string;
    const statuses = new Set<string>();
    await eventually('task complete on B', 15, async () => {
      const status = await json(b, `/chat/status/${taskId}`);
      assert.equal(status.status, 200, JSON.stringify(status.body));
      statuses.add(status.body.status as string);
      return status.body.status === 'complete' ? true : undefined;
    });
    const result = await json(c, `/chat/result/${taskId}`);
    assert.equal(result.status, 200, JSON.stringify(result.body));
    assert.ok((result.body.final_answer as string).length > 20);
  });

  test('a store: false response created on A is read on B and deleted on C', async () => {
    await upstream.admin.setOptions({ tokenRate: 0 });
    try {
      const created = await json(a, '/v1/responses', { body: { model: 'mock-model', input: 'not stored, but readable everywhere', store: false } });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const read = await json(b, `/v1/responses/${created.body.id}`);
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.equal(read.body.status, 'completed');
      assert.equal(read.body.output_text ?? read.body.output[0].content[0].text, created.body.output_text ?? created.body.output[0].content[0].text);
      assert.equal((await json(c, `/v1/responses/${created.body.id}`, { method: 'DELETE' })).status, 200);
      assert.equal((await json(a, `/v1/responses/${created.body.id}`)).status, 404);
    } finally {
      await upstream.admin.reset();
    }
  });

  test('the seed-002 response cache is shared: an answer cached on A is served on B, counted on C', async () => {
    await upstream.admin.reset();
    await upstream.admin.setOptions({ tokenRate: 0 });
    try {
      const first = await json(a, '/api/chat/send', { body: { content: 'cache me across instances' } });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const second = await json(b, '/api/chat/send', { body: { content: 'cache me across instances' } });
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.equal(second.body.message.content, first.body.message.content);
      const chats = (await upstream.admin.requests()).filter((request) => request.path.endsWith('/chat/completions'));
      assert.equal(chats.length, 1, 'the second answer came from the cache');
      const stats = (await json(c, '/api/chat/cache/stats')).body.cache_stats as Record<string, number>;
      assert.equal(stats.cache_size, 1);
      assert.equal(stats.hits, 1);
      assert.equal(stats.misses, 1);
      assert.equal((await json(c, '/api/chat/cache/clear', { method: 'POST' })).status, 200);
      assert.equal(((await json(a, '/api/chat/cache/stats')).body.cache_stats as Record<string, number>).cache_size, 0);
    } finally {
      await upstream.admin.reset();
    }
  });

  test('the seed-002 performance figures count across instances: requests on A and B are counted on C, per key', async () => {
    type Figures = Record<string, number>;
    const figuresOn = async (instance: Instance, headers = auth): Promise<Figures> => {
      const response = await requestJson(`${instance.url}/api/chat/performance`, { headers });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body.performance_stats as Figures;
    };
    await upstream.admin.setOptions({ tokenRate: 0 });
    try {
      const before = await figuresOn(c);
      for (const [instance, content] of [[a, 'timed on A'], [b, 'timed on B']] as const) {
        const sent = await json(instance, '/api/chat/send', { body: { content } });
        assert.equal(sent.status, 200, JSON.stringify(sent.body));
      }
      const after = await eventually('both runs counted on C', 10, async () => {
        const figures = await figuresOn(c);
        return figures.completed_requests! >= before.completed_requests! + 2 ? figures : undefined;
      });
      assert.equal(after.total_requests, before.total_requests! + 2);
      assert.equal(after.completed_requests, before.completed_requests! + 2);
      assert.equal(after.sample_size, before.sample_size! + 2);
      assert.ok(after.avg_response_time! > 0, JSON.stringify(after));
      // Another tenant's figures do not include them.
      const other = await createKey(keyDir, 'perf-other', 1_000, { DATABASE_URL: database.url });
      const theirs = await figuresOn(a, { authorization: `Bearer ${other.key}` });
      assert.equal(theirs.total_requests, 0);
      assert.equal(theirs.sample_size, 0);
    } finally {
      await upstream.admin.reset();
    }
  });

  test('the GET /models cache is shared: a list fetched on A is served cached on B and C without asking the provider', async () => {
    await upstream.admin.reset();
    const listed = await json(a, '/models');
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    const asked = (await upstream.admin.requests()).filter((request) => request.path.endsWith('/models')).length;
    for (const instance of [b, c]) {
      const cached = await json(instance, '/models');
      assert.equal(cached.status, 200, JSON.stringify(cached.body));
      assert.equal(cached.body.cached, true);
      assert.deepEqual(cached.body.models, listed.body.models);
    }
    const askedAfter = (await upstream.admin.requests()).filter((request) => request.path.endsWith('/models')).length;
    assert.equal(askedAfter, asked, 'B and C did not ask the provider');
  });

  test('a run on A is cancelled from C: stored cancelled, upstream call aborted', async () => {
    await upstream.admin.reset();
    const conversationId = await conversationOn(a, 'cancel me from elsewhere');
    const stream = await openStream(a, conversationId);
    const seen = await stream.take((frame) => typeof frame.data.content === 'string' && frame.data.content !== '');
    const { run_id: runId } = await lastAnswer(c, conversationId);
    const cancel = await json(c, `/runs/${runId}/cancel`, { method: 'POST' });
    assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
    const rest = await stream.take((frame) => frame.data.done === true);
    assert.equal(rest.at(-1)?.data.cancelled, true);
    const stored = await lastAnswer(b, conversationId);
    assert.equal(stored.status, 'cancelled');
    assert.equal(stored.content, textOf([...seen, ...rest]));
    const aborted = await eventually('upstream request aborted', 1, async () => {
      const recorded = (await upstream.admin.requests()).find((request) => request.path.endsWith('/chat/completions'));
      return recorded?.aborted === true ? recorded : undefined;
    });
    assert.equal(aborted.completed, false);
  });

  test('a rate limit of N per minute admits N requests in total across A, B and C', async () => {
    await upstream.admin.setOptions({ tokenRate: 0 });
    try {
      const limited = await createKey(keyDir, 'limited', 4, { DATABASE_URL: database.url });
      const statuses: number[] = [];
      for (const instance of [a, b, c, a, b, c]) {
        const response = await requestJson(`${instance.url}/v1/chat/completions`, {
          headers: { authorization: `Bearer ${limited.key}` },
          body: { model: 'mock-model', messages: [{ role: 'user', content: 'count me' }] },
        });
        statuses.push(response.status);
        if (response.status === 429) assert.equal(response.body.error.code, 'rate_limited');
      }
      assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
    } finally {
      await upstream.admin.reset();
    }
  });

  test('SIGKILL of an instance mid-answer: the answer is stored interrupted and a reader on B is ended', async () => {
    const doomed = await startInstance('doomed', shared);
    try {
      const conversationId = await conversationOn(doomed, 'the instance dies while answering');
      const stream = await openStream(doomed, conversationId);
      const seen = await stream.take((frame, count) => count >= 3 && frame.id !== undefined);
      const reader = await openStream(b, conversationId, seen.at(-1)!.id);
      const read = await reader.take((frame) => typeof frame.data.content === 'string');
      // Past a checkpoint (every second), so the stored partial text is not empty.
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      await doomed.stop('SIGKILL');
      // The reader on B ends with a terminal frame once the lease ran out and some instance recovered the run.
      const rest = await reader.take((frame) => frame.data.done === true);
      assert.equal(rest.at(-1)?.data.done, true);
      assert.equal(rest.at(-1)?.data.cancelled, true);
      const stored = await lastAnswer(c, conversationId);
      assert.equal(stored.status, 'interrupted');
      // What was checkpointed before the crash is kept: a non-empty start of what clients saw.
      const clientText = textOf([...seen, ...read, ...rest]);
      assert.ok(stored.content.length > 0 && clientText.startsWith(stored.content), `stored ${JSON.stringify(stored.content)}, client saw ${JSON.stringify(clientText)}`);
    } finally {
      doomed.dispose();
    }
  });

  test('rolling restart: SIGTERM one instance at a time while answers stream; no stored message is lost', async () => {
    const conversations: string[] = [];
    for (const [index, instance] of [a, b, c].entries()) {
      const conversationId = await conversationOn(instance, `rolling restart ${index}`);
      const stream = await openStream(instance, conversationId);
      await stream.take((frame) => typeof frame.data.content === 'string' && frame.data.content !== '');
      conversations.push(conversationId);
      const name = ['a', 'b', 'c'][index]!;
      await instance.stop('SIGTERM');
      instance.dispose();
      const replacement = await startInstance(name, shared);
      if (index === 0) a = replacement;
      else if (index === 1) b = replacement;
      else c = replacement;
    }
    for (const conversationId of conversations) {
      const messages = (await json(a, `/conversations/${conversationId}/messages`)).body.messages as { role: string; status: string; content: string }[];
      assert.deepEqual(messages.map((message) => message.role), ['user', 'assistant']);
      // Draining lets a running answer finish within the grace period.
      assert.equal(messages[1]!.status, 'complete');
      assert.ok(messages[1]!.content.length > 20);
    }
  });
});

describe('scaled out: two instances migrate an empty database at once', { skip }, () => {
  test('both start, the schema is migrated once, and both serve', async () => {
    await flushTestRedis();
    const database = await createTestDatabase();
    const upstream = await spawnMockUpstream(UPSTREAM_ARGS);
    const shared = { databaseUrl: database.url, redisUrl: TEST_REDIS_URL, upstreamUrl: upstream.url };
    const instances = await Promise.all(['m1', 'm2'].map((name) => startInstance(name, shared)));
    try {
      for (const instance of instances) {
        const ready = await requestJson(`${instance.url}/health/ready`);
        assert.equal(ready.status, 200, JSON.stringify(ready.body));
        assert.equal(ready.body.checks.database.status, 'ok');
        assert.equal(ready.body.checks.redis.status, 'ok');
      }
      const created = await requestJson(`${instances[0]!.url}/conversations`, { body: {} });
      const read = await requestJson(`${instances[1]!.url}/conversations/${created.body.id}`);
      assert.equal(read.status, 200);
    } finally {
      for (const instance of instances) {
        await instance.stop('SIGTERM');
        instance.dispose();
      }
      await upstream.stop();
      await database.drop();
    }
  });
});

describe('scaled out: Redis stopped and restarted while an answer streams', { skip }, () => {
  test('no crash; readiness names redis while it is down; the answer is stored whole; the next answer works', async (context) => {
    if (!(await redisServerAvailable())) return context.skip('redis-server is not installed: cannot start a Redis of this test\'s own');
    const port = await freePort();
    let redis = await startOwnRedis(port);
    const database = await createTestDatabase();
    const upstream = await spawnMockUpstream(UPSTREAM_ARGS);
    const instance = await startInstance('restart', { databaseUrl: database.url, redisUrl: redis.url, upstreamUrl: upstream.url });
    try {
      const conversation = await requestJson(`${instance.url}/conversations`, { body: {} });
      const conversationId = conversation.body.id as string;
      await requestJson(`${instance.url}/conversations/${conversationId}/messages`, { body: { message: 'keep going while Redis restarts' } });
      const response = await fetch(`${instance.url}/conversations/${conversationId}/stream`, { headers: { accept: 'text/event-stream' } });
      assert.equal(response.status, 200);
      const frames = readSse(response);
      const texts: string[] = [];
      const first = await frames.next();
      texts.push((JSON.parse(first.value!.data) as { content?: string }).content ?? '');

      await redis.stop();
      const down = await requestJson(`${instance.url}/health/ready`);
      assert.equal(down.status, 503, JSON.stringify(down.body));
      assert.deepEqual(down.body.failed, ['redis']);
      redis = await startOwnRedis(port);

      let last: Record<string, unknown> = {};
      for await (const message of { [Symbol.asyncIterator]: () => frames }) {
        last = JSON.parse(message.data) as Record<string, unknown>;
        if (typeof last.content === 'string') texts.push(last.content);
      }
      assert.equal(last.done, true);
      assert.equal(last.finish_reason, 'stop');
      const messages = (await requestJson(`${instance.url}/conversations/${conversationId}/messages`)).body.messages as { status: string; content: string }[];
      assert.equal(messages.at(-1)?.status, 'complete');
      assert.equal(messages.at(-1)?.content, texts.join(''));

      let ready = await requestJson(`${instance.url}/health/ready`);
      for (let attempt = 0; attempt < 100 && ready.status !== 200; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        ready = await requestJson(`${instance.url}/health/ready`);
      }
      assert.equal(ready.status, 200, JSON.stringify(ready.body));
      const next = await requestJson(`${instance.url}/v1/chat/completions`, { body: { model: 'mock-model', messages: [{ role: 'user', content: 'after the restart' }] } });
      assert.equal(next.status, 200, JSON.stringify(next.body));
      assert.ok((next.body.choices[0].message.content as string).length > 20);
    } finally {
      await instance.stop('SIGTERM');
      instance.dispose();
      await upstream.stop();
      await redis.stop();
      await database.drop();
    }
  });
});
