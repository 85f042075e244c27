import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';

describe('seed 002 statistics are per key', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley({ API_KEYS: 'key-a,key-b' });
  });
  after(() => server.stop());

  test("one key's traffic does not show in another key's performance or cache figures", async () => {
    const as = (key: string) => ({ 'x-api-key': key });
    const sent = await requestJson(`${server.url}/api/chat/send`, { body: { content: 'hello', session_id: 's1' }, headers: as('key-a') });
    assert.equal(sent.status, 200);
    const mine = (await requestJson(`${server.url}/api/chat/performance`, { headers: as('key-a') })).body.performance_stats;
    const theirs = (await requestJson(`${server.url}/api/chat/performance`, { headers: as('key-b') })).body.performance_stats;
    assert.equal(mine.total_requests, 1);
    assert.equal(theirs.total_requests, 0);
    const theirCache = (await requestJson(`${server.url}/api/chat/cache/stats`, { headers: as('key-b') })).body.cache_stats;
    assert.equal(theirCache.total_requests, 0);
  });
});
