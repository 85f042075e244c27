/**
 * Clients that leave `/v1` streams mid-answer: each cancels its run and aborts
 * its upstream request, and no upstream connection is left open for nothing.
 * (undici #5845: aborting a streaming response makes the client re-queue the
 * aborted request and connect again for it; with undici 7.30.2 that connection
 * is opened and closed again at once, the fix needs undici 8 and Node 22.)
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { startParley, type RunningParley } from './helpers/parley.js';

const DISCONNECTS = 40;

/** Starts a /v1 stream, waits for its first bytes, then destroys the connection. */
function leaveAfterFirstChunk(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: 'mock-model', messages: [{ role: 'user', content: 'then leave' }], stream: true });
    const outgoing = httpRequest(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (response) => {
      response.once('data', () => {
        outgoing.destroy();
        resolve();
      });
    });
    outgoing.on('error', (error) => (outgoing.destroyed ? resolve() : reject(error)));
    outgoing.end(body);
  });
}

describe('client disconnects on /v1', () => {
  let upstream: MockUpstreamProcess;
  let server: RunningParley;

  before(async () => {
    // A slow answer: every disconnect happens while the upstream is still streaming.
    upstream = await spawnMockUpstream(['--chunks', '200', '--token-rate', '50']);
    server = await startParley({ PARLEY_PROVIDER_BASE_URL: upstream.url, PARLEY_UPSTREAM_RETRIES: '0', MODEL_NAME: 'mock-model' });
  });
  after(async () => {
    await server.stop();
    await upstream.stop();
  });

  test(`${DISCONNECTS} clients leaving mid-stream leave no upstream connection open, used or not`, async () => {
    const before = await upstream.admin.connections();
    for (let index = 0; index < DISCONNECTS; index += 1) await leaveAfterFirstChunk(server.url);
    // Every upstream request is aborted once its run is cancelled; wait for the mock to see it.
    let requests = await upstream.admin.requests();
    for (let attempt = 0; attempt < 100 && requests.some((request) => !request.aborted && !request.completed); attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      requests = await upstream.admin.requests();
    }
    assert.equal(requests.filter((request) => request.aborted).length, DISCONNECTS);
    // A replacement connection, if any, is opened right after the abort; give it the time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const counts = await upstream.admin.connections();
    assert.equal(counts.neverUsed, 0, `connections opened and never used: ${JSON.stringify(counts)}`);
    assert.ok(counts.open <= before.open, `upstream connections open: ${JSON.stringify(counts)}, before: ${JSON.stringify(before)}`);
  });
});
