/**
 * Requests refused before any route runs answer with Parley's JSON error body
 * (`{"error": {"code", "message", "type"}}`), never Fastify's or Node's own
 * `{"error": "Bad Request", "statusCode": 400}`: a method the path does not
 * take (405 with `Allow`), invalid percent-encoding, raw bytes in the request
 * line, a malformed body, an unknown path. Checked over every route.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { HTTPMethods } from 'fastify';
import type { ERROR_CODES } from '../src/errors.js';
import { startParley, type RunningParley } from './helpers/parley.js';

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Asserts Parley's error body with `code` and returns it. */
function assertErrorBody(text: string, code: keyof typeof ERROR_CODES, where: string): { error: { code: string; message: string; type: string } } {
  let body: { error: { code: string; message: string; type: string } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    assert.fail(`${where}: not JSON: ${text}`);
  }
  assert.equal(body.error.code, code, `${where}: ${text}`);
  assert.equal(typeof body.error.message, 'string');
  assert.equal(typeof body.error.type, 'string');
  assert.equal(Object.hasOwn(body, 'statusCode'), false, where);
  return body;
}

/** The raw HTTP answer to `requestLine` (latin1 bytes) on a bare socket. */
function rawExchange(port: number, requestLine: Buffer): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.end(Buffer.concat([requestLine, Buffer.from('\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')])));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      resolve({ status: Number(text.slice(9, 12)), headers: text.slice(0, end), body: text.slice(end + 4) });
    });
  });
}

describe('one JSON error body for requests refused before a route runs', () => {
  let server: RunningParley;
  /** Registered paths with their parameters filled in, and the methods each takes. */
  let paths: Map<string, Set<string>>;

  before(async () => {
    server = await startParley({ API_KEYS: 'error-key' });
    paths = new Map();
    for (const route of server.parley.app.routeInventory) {
      if (route.websocket || route.url.includes('*')) continue;
      const path = route.url.replace(/:[A-Za-z_]+/g, 'x');
      paths.set(path, (paths.get(path) ?? new Set()).add(route.method));
    }
  });
  after(() => server.stop());

  test('every path answers a method it does not take with 405, the Allow list and the error body, before auth', async () => {
    let refused = 0;
    for (const [path, registered] of paths) {
      for (const method of METHODS.filter((candidate) => !registered.has(candidate) && !(candidate === 'HEAD' && registered.has('GET')))) {
        const response = await fetch(server.url + path, { method, headers: { 'content-type': 'application/json' }, body: method === 'GET' || method === 'HEAD' ? undefined : '{broken' });
        const where = `${method} ${path}`;
        assert.equal(response.status, 405, where);
        const allow = new Set((response.headers.get('allow') ?? '').split(',').map((item) => item.trim()));
        for (const taken of registered) assert.ok(allow.has(taken), `${where}: Allow ${[...allow].join(',')} lacks ${taken}`);
        assert.ok(!allow.has(method), where);
        if (method !== 'HEAD') assertErrorBody(await response.text(), 'method_not_allowed', where);
        refused += 1;
      }
    }
    assert.ok(refused > 50, `${refused} refusals checked`);
  });

  test('a malformed JSON body on every route that takes one is 400 invalid_json', async () => {
    let checked = 0;
    for (const [path, registered] of paths) {
      for (const method of ['POST', 'PATCH', 'PUT'].filter((candidate) => registered.has(candidate))) {
        const response = await fetch(server.url + path, { method, headers: { 'content-type': 'application/json', 'x-api-key': 'error-key' }, body: '{"message": ' });
        assert.equal(response.status, 400, `${method} ${path}`);
        assertErrorBody(await response.text(), 'invalid_json', `${method} ${path}`);
        checked += 1;
      }
    }
    assert.ok(checked >= 12, `${checked} routes checked`);
  });

  test('invalid percent-encoding in any path parameter is 400 validation_failed', async () => {
    const withParameters = [...server.parley.app.routeInventory].filter((route) => !route.websocket && route.url.includes(':'));
    assert.ok(withParameters.length >= 10);
    for (const route of withParameters) {
      for (const broken of ['%FF%FE', '%E0%A4%A', '%']) {
        const path = route.url.replace(/:[A-Za-z_]+/g, broken);
        const response = await fetch(server.url + path, { method: route.method, headers: { 'x-api-key': 'error-key' } });
        assert.equal(response.status, 400, `${route.method} ${path}`);
        assertErrorBody(await response.text(), 'validation_failed', `${route.method} ${path}`);
      }
    }
  });

  test('raw bytes, spaces and control characters in the request line are 400 with the error body', async () => {
    for (const target of ['/conversations/\xff\xfe/messages', '/conversations/a b/messages', '/conversations/\x01/messages', '/api/chat/history/caf\xe9']) {
      const response = await rawExchange(server.port, Buffer.from(`GET ${target} HTTP/1.1`, 'latin1'));
      assert.equal(response.status, 400, JSON.stringify(target));
      assert.match(response.headers, /content-type: application\/json/i);
      const body = assertErrorBody(response.body, 'validation_failed', JSON.stringify(target));
      assert.match(body.error.message, /not valid HTTP/);
    }
    const garbage = await rawExchange(server.port, Buffer.from('NOT-HTTP AT ALL', 'latin1'));
    assert.equal(garbage.status, 400);
    assertErrorBody(garbage.body, 'validation_failed', 'garbage');
  });

  test('an unknown path is 404 not_found with the error body', async () => {
    const response = await fetch(`${server.url}/no/such/route`, { headers: { 'x-api-key': 'error-key' } });
    assert.equal(response.status, 404);
    assertErrorBody(await response.text(), 'not_found', 'GET /no/such/route');
  });
});
