/**
 * The Redis run log (scaled out) serves the runs its instance writes from the
 * local copy with the reader's options: a consuming reader (a stateless `/v1`
 * run) drops what it read there, and holds the writer back through `room`
 * while it is behind, as on one process. Real Redis; skipped with the reason
 * when it is unreachable.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { connectRedis } from '../src/redis/connection.js';
import { RedisRunEventLog } from '../src/redis/event-log.js';
import type { RunEvent, RunEventPayload } from '../src/runs/events.js';
import { scaledSkipReason, TEST_REDIS_URL } from './helpers/scaled.js';

const skip = await scaledSkipReason();
const delta = (text: string): RunEventPayload => ({ type: 'message.delta', text });

describe('Redis run log: a consuming reader of a local run', { skip }, () => {
  let redis: Redis;
  let log: RedisRunEventLog;
  before(async () => {
    redis = await connectRedis(TEST_REDIS_URL, 'parley-test');
    log = new RedisRunEventLog(redis, { ttlSeconds: 60, maxEndedRuns: 100 });
  });
  after(async () => {
    await log.close();
    redis.disconnect();
  });

  test('drops the events it read from the local copy and the run once it ended', async () => {
    const runId = `consume-${Date.now()}`;
    const kilobyte = 'x'.repeat(1024);
    log.append(runId, delta(kilobyte));
    log.append(runId, delta(kilobyte));
    const iterator = log.read(runId, 0, undefined, { consume: true })[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.deepEqual((first.value as RunEvent[]).map((event) => event.seq), [1, 2]);
    log.append(runId, delta(kilobyte));
    await iterator.next();
    const held = log.heldBytes;
    assert.ok(held > 0 && held < 2 * 1024, `only the unread event is held locally, not ${held} bytes`);
    await log.end(runId, { type: 'run.completed', message_id: null, finish_reason: 'stop', usage: { prompt_tokens: 1, completion_tokens: 3, reasoning_tokens: 0, cached_tokens: 0 } });
    const last = await iterator.next();
    assert.deepEqual((last.value as RunEvent[]).map((event) => event.type), ['run.completed']);
    assert.equal((await iterator.next()).done, true);
    assert.equal(log.heldBytes, 0, 'the ended, consumed run is gone from the local copy');
  });
});
