/**
 * Security headers (helmet), the documentation pages' own policy, CORS from
 * CORS_ORIGINS, and trusted hosts from PARLEY_TRUSTED_HOSTS.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { collectSse } from './helpers/sse.js';

/** A GET with a chosen Host header (fetch does not let a client forge it). */
function getWithHost(server: RunningParley, path: string, host: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port: server.port, path, headers: { host, ...headers } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

function assertHelmetHeaders(headers: Headers, where: string): void {
  assert.equal(headers.get('x-content-type-options'), 'nosniff', where);
  assert.equal(headers.get('x-frame-options'), 'SAMEORIGIN', where);
  assert.match(headers.get('strict-transport-security') ?? '', /max-age=\d+/, where);
  assert.equal(headers.get('referrer-policy'), 'no-referrer', where);
  assert.match(headers.get('content-security-policy') ?? '', /default-src 'self'/, where);
}

describe('security headers', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley({ API_KEYS: 'secret', CORS_ORIGINS: 'https://app.example' });
  });
  after(() => server.stop());
  const auth = { 'x-api-key': 'secret' };

  test('JSON answers, errors and refusals all carry the helmet headers', async () => {
    assertHelmetHeaders((await requestJson(`${server.url}/v1/models`, { headers: auth })).headers, 'GET /v1/models');
    assertHelmetHeaders((await requestJson(`${server.url}/v1/models`)).headers, '401');
    assertHelmetHeaders((await requestJson(`${server.url}/nope`, { headers: auth })).headers, '404');
    assertHelmetHeaders((await requestJson(`${server.url}/health`)).headers, 'GET /health');
    const api = await requestJson(`${server.url}/v1/models`, { headers: auth });
    // The API's policy runs no scripts at all, inline or not.
    const scriptSource = /script-src ([^;]*)/.exec(api.headers.get('content-security-policy') ?? '')?.[1];
    assert.equal(scriptSource, "'self'");
  });

  test('SSE streams carry them too', async () => {
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock-model', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(response.status, 200);
    assertHelmetHeaders(response.headers, 'SSE');
    await collectSse(response);
  });

  test('/docs still loads: the page and every script it references, under a policy that allows them', async () => {
    const page = await fetch(`${server.url}/docs/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<div id="swagger-ui">/);
    const policy = page.headers.get('content-security-policy') ?? '';
    assert.match(policy, /script-src 'self' 'unsafe-inline'/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((match) => new URL(match[1]!, `${server.url}/docs/`).href);
    assert.ok(scripts.length >= 2);
    for (const script of scripts) {
      const response = await fetch(script);
      assert.equal(response.status, 200, script);
      assert.match(response.headers.get('content-type') ?? '', /javascript/);
      await response.arrayBuffer();
    }
    // Redoc, where the surface exists, gets the same policy.
    if (server.parley.app.routeInventory.some((route) => route.url === '/redoc')) {
      const redoc = await fetch(`${server.url}/redoc`);
      assert.equal(redoc.status, 200);
      assert.match(redoc.headers.get('content-security-policy') ?? '', /script-src 'self' 'unsafe-inline'/);
      await redoc.text();
    }
    const specification = await requestJson(`${server.url}/openapi.json`);
    assert.equal(specification.status, 200);
    assert.ok(specification.body.paths['/v1/chat/completions']);
  });

  test('CORS: preflight from an allowed origin is answered without a key, with the rate-limit headers exposed', async () => {
    const preflight = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /x-api-key/);
    const actual = await requestJson(`${server.url}/v1/models`, { headers: { ...auth, origin: 'https://app.example' } });
    assert.equal(actual.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.match(actual.headers.get('access-control-expose-headers') ?? '', /retry-after.*ratelimit-remaining/);
  });

  test('CORS: another origin gets no CORS headers', async () => {
    const preflight = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    const actual = await requestJson(`${server.url}/v1/models`, { headers: { ...auth, origin: 'https://evil.example' } });
    assert.equal(actual.headers.get('access-control-allow-origin'), null);
  });
});

describe('trusted hosts', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley({ API_KEYS: 'secret', PARLEY_TRUSTED_HOSTS: 'parley.example, *.internal.example, 127.0.0.1, LOCALHOST:8443' });
  });
  after(() => server.stop());
  const auth = { 'x-api-key': 'secret' };

  test('listed hosts are served, on any port unless one is given', async () => {
    for (const host of ['parley.example', 'parley.example:8080', 'PARLEY.example', 'api.internal.example', 'a.b.internal.example:1', `127.0.0.1:${server.port}`, 'localhost:8443']) {
      assert.equal((await getWithHost(server, '/v1/models', host, auth)).status, 200, host);
    }
  });

  test('other hosts get 400 validation_failed "untrusted host", key or not', async () => {
    for (const host of ['evil.example', 'parley.example.evil.example', 'internal.example', 'localhost', 'localhost:8000']) {
      for (const headers of [auth, {}]) {
        const response = await getWithHost(server, '/v1/models', host, headers);
        assert.equal(response.status, 400, `${host} ${JSON.stringify(headers)}`);
        const body = JSON.parse(response.body);
        assert.equal(body.error.code, 'validation_failed');
        assert.match(body.error.message, /untrusted host/);
      }
    }
  });

  test('health checks answer whatever the host (probes send bare addresses)', async () => {
    assert.equal((await getWithHost(server, '/health', '10.1.2.3:8000')).status, 200);
  });

  test('other public routes (docs, WebSocket) still need a trusted host', async () => {
    assert.equal((await getWithHost(server, '/docs/', 'evil.example')).status, 400);
    assert.equal((await getWithHost(server, '/openapi.json', 'evil.example')).status, 400);
    assert.equal((await getWithHost(server, '/docs/', 'parley.example')).status, 200);
  });
});
