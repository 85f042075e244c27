/**
 * Chat rate limits: per client address (default 10 a minute) and per key
 * (default 60, or the key's own), only on routes that start a run, answered
 * with 429 `rate_limited`, `Retry-After` and the IETF draft RateLimit headers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import type { ParleyError } from '../src/errors.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { collectSse } from './helpers/sse.js';

const completion = { model: 'mock-model', messages: [{ role: 'user', content: 'hi' }] };

function chat(server: RunningParley, headers: Record<string, string> = {}) {
  return requestJson(`${server.url}/v1/chat/completions`, { body: completion, headers });
}

function assertRefusal(response: Awaited<ReturnType<typeof chat>>, limit: number): void {
  assert.equal(response.status, 429);
  assert.equal(response.body.error.code, 'rate_limited');
  assert.equal(typeof response.body.error.message, 'string');
  const retryAfter = Number(response.headers.get('retry-after'));
  // The window opened a few seconds ago at most: the wait is most of a minute, never more.
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 50 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  assert.equal(response.headers.get('ratelimit-limit'), String(limit));
  assert.equal(response.headers.get('ratelimit-remaining'), '0');
  assert.equal(response.headers.get('ratelimit-reset'), String(retryAfter));
}

describe('rate limits by client address', () => {
  let server: RunningParley;
  before(async () => {
    // Empty means unset: the production defaults (10 per address, 60 per key).
    server = await startParley({ PARLEY_RATE_LIMIT_IP_PER_MINUTE: '', PARLEY_RATE_LIMIT_KEY_PER_MINUTE: '' });
  });
  after(() => server.stop());

  test('the 11th chat request in a minute from one address gets 429 with Retry-After and RateLimit headers', async () => {
    for (let count = 1; count <= 10; count++) {
      const response = await chat(server);
      assert.equal(response.status, 200, `request ${count}`);
      assert.equal(response.headers.get('ratelimit-limit'), '10');
      assert.equal(response.headers.get('ratelimit-remaining'), String(10 - count));
      const reset = Number(response.headers.get('ratelimit-reset'));
      assert.ok(reset >= 50 && reset <= 60, `RateLimit-Reset ${reset}`);
    }
    assertRefusal(await chat(server), 10);
    // Still refused, and nothing was started for the refused ones.
    assertRefusal(await chat(server), 10);
  });

  test('routes that start no run are not limited', async () => {
    for (let count = 0; count < 15; count++) {
      const models = await requestJson(`${server.url}/v1/models`);
      assert.equal(models.status, 200);
      assert.equal(models.headers.get('ratelimit-limit'), null);
      assert.equal((await requestJson(`${server.url}/conversations`, { body: {} })).status, 200);
    }
  });

  test('the conversation stream counts as a chat request', async () => {
    const conversation = await requestJson(`${server.url}/conversations`, { body: {} });
    await requestJson(`${server.url}/conversations/${conversation.body.id}/messages`, { body: { message: 'hi' } });
    const response = await fetch(`${server.url}/conversations/${conversation.body.id}/stream`);
    assert.equal(response.status, 429);
    assert.equal(response.headers.get('ratelimit-limit'), '10');
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'rate_limited');
  });
});

describe('rate limits behind a trusted proxy', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley({ PARLEY_TRUST_PROXY: 'true', PARLEY_RATE_LIMIT_IP_PER_MINUTE: '10' });
  });
  after(() => server.stop());

  test('X-Forwarded-For decides the address: another client is unaffected', async () => {
    const first = { 'x-forwarded-for': '203.0.113.7' };
    for (let count = 0; count < 10; count++) assert.equal((await chat(server, first)).status, 200);
    assertRefusal(await chat(server, first), 10);
    const second = await chat(server, { 'x-forwarded-for': '203.0.113.8' });
    assert.equal(second.status, 200);
    assert.equal(second.headers.get('ratelimit-remaining'), '9');
    // The stream route shares the address's window.
    const conversation = await requestJson(`${server.url}/conversations`, { body: {} });
    await requestJson(`${server.url}/conversations/${conversation.body.id}/messages`, { body: { message: 'hi' } });
    const stream = await fetch(`${server.url}/conversations/${conversation.body.id}/stream`, { headers: first });
    assert.equal(stream.status, 429);
    await stream.body?.cancel();
  });
});

describe('rate limits by key', () => {
  let server: RunningParley;
  let ownLimitKey: string;
  before(async () => {
    server = await startParley({ API_KEYS: 'key-one,key-two', PARLEY_RATE_LIMIT_KEY_PER_MINUTE: '3', PARLEY_RATE_LIMIT_IP_PER_MINUTE: '0' });
    ownLimitKey = (await server.parley.core.store.apiKeys.issue('own limit', 5)).key;
  });
  after(() => server.stop());

  test('a key over its limit is refused while another key from the same address is not', async () => {
    for (let count = 0; count < 3; count++) assert.equal((await chat(server, { 'x-api-key': 'key-one' })).status, 200);
    assertRefusal(await chat(server, { 'x-api-key': 'key-one' }), 3);
    const other = await chat(server, { authorization: 'Bearer key-two' });
    assert.equal(other.status, 200);
    assert.equal(other.headers.get('ratelimit-limit'), '3');
  });

  test("a key's own rate_limit_per_minute overrides the default", async () => {
    for (let count = 0; count < 5; count++) assert.equal((await chat(server, { 'x-api-key': ownLimitKey })).status, 200, `request ${count + 1}`);
    assertRefusal(await chat(server, { 'x-api-key': ownLimitKey }), 5);
  });

  test('SSE answers carry the RateLimit headers too', async () => {
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'key-two' },
      body: JSON.stringify({ ...completion, stream: true }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('ratelimit-limit'), '3');
    assert.equal(response.headers.get('ratelimit-remaining'), '1');
    assert.ok((await collectSse(response)).length > 0);
  });
});

describe('rate limits: address within a key', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley({ API_KEYS: 'frontend-key', PARLEY_TRUST_PROXY: 'true', PARLEY_RATE_LIMIT_IP_PER_MINUTE: '2', PARLEY_RATE_LIMIT_KEY_PER_MINUTE: '5' });
  });
  after(() => server.stop());

  test("one end user of a shared key cannot use up the key's whole budget", async () => {
    const user = (address: string) => ({ 'x-api-key': 'frontend-key', 'x-forwarded-for': address });
    for (let count = 0; count < 2; count++) assert.equal((await chat(server, user('198.51.100.1'))).status, 200);
    assertRefusal(await chat(server, user('198.51.100.1')), 2);
    for (let count = 0; count < 2; count++) assert.equal((await chat(server, user('198.51.100.2'))).status, 200);
    const tighter = await chat(server, user('198.51.100.3'));
    assert.equal(tighter.status, 200);
    // Fifth for the key: its window is now the tighter one.
    assert.equal(tighter.headers.get('ratelimit-limit'), '5');
    assert.equal(tighter.headers.get('ratelimit-remaining'), '0');
    assertRefusal(await chat(server, user('198.51.100.4')), 5);
  });

  test('chat starts without their own HTTP request (WebSocket messages) are charged through app.chargeChatRequest', async () => {
    // Stands in for a WebSocket upgrade request: the limiter reads only these fields.
    const upgrade = { ip: '192.0.2.9', routeOptions: { config: {} } } as unknown as FastifyRequest;
    const principal = { ownerId: 'key_socket', rateLimitPerMinute: 10 };
    assert.deepEqual(await server.parley.app.chargeChatRequest(upgrade, principal), { 'ratelimit-limit': '2', 'ratelimit-remaining': '1', 'ratelimit-reset': '60' });
    await server.parley.app.chargeChatRequest(upgrade, principal);
    await assert.rejects(server.parley.app.chargeChatRequest(upgrade, principal), (error: ParleyError) => {
      assert.equal(error.code, 'rate_limited');
      assert.ok(error.retryAfterSeconds !== undefined && error.retryAfterSeconds >= 50 && error.retryAfterSeconds <= 60, `retryAfterSeconds ${error.retryAfterSeconds}`);
      return true;
    });
  });
});
