/**
 * Property-based fuzzing of every HTTP route the server has when the test
 * runs (from its route inventory): generated bodies (near-valid, one field of
 * the wrong type, `fc.anything()`, raw JSON text, non-JSON text, other
 * content types), path params (encoded text, invalid percent-encoding, and raw
 * bytes sent on a bare socket) and query strings. The server must never answer
 * 5xx, and every 4xx must be the JSON error body with a code from ERROR_CODES.
 * Bounded to roughly 30 s; set FUZZ_RUNS / FUZZ_SEED to go further or replay.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { ERROR_CODES } from '../src/errors.js';
import type { RouteInventoryEntry } from '../src/http/plugins/guard/route-inventory.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { nearValueArbitrary, oneWrongFieldArbitrary, sampleValue, wrongValueArbitrary, type JsonSchema } from './helpers/schema-sample.js';

const TOTAL_BUDGET_MS = 28_000;
const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 200);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

/** One generated request. */
interface GeneratedRequest {
  /** The request target as sent; bytes outside ASCII only when {@link raw}. */
  path: string;
  /** Send on a bare socket, the path's bytes as they are (a browser or fetch would percent-encode them). */
  raw: boolean;
  query: string;
  /** Undefined sends no body. */
  body?: string;
  contentType?: string;
  lastEventId?: string;
}

const contentTypes = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', undefined);

function bodyArbitrary(schema: JsonSchema | undefined): fc.Arbitrary<Pick<GeneratedRequest, 'body' | 'contentType'>> {
  const asJson = (value: fc.Arbitrary<unknown>) => value.map((generated) => ({ body: JSON.stringify(generated), contentType: 'application/json' }));
  const shaped = schema === undefined ? [] : [asJson(nearValueArbitrary(schema)), asJson(nearValueArbitrary(schema)), asJson(fc.constant(sampleValue(schema)))];
  const wrongField = schema === undefined ? undefined : oneWrongFieldArbitrary(schema);
  return fc.oneof(
    ...shaped,
    ...(wrongField === undefined ? [] : [asJson(wrongField), asJson(wrongField)]),
    asJson(fc.anything()),
    asJson(schema === undefined ? fc.jsonValue() : wrongValueArbitrary(schema)),
    fc.json().map((text) => ({ body: text, contentType: 'application/json' })),
    fc.record({ body: fc.string({ maxLength: 200 }), contentType: contentTypes }),
    fc.record({ body: fc.jsonValue().map((value) => JSON.stringify(value)), contentType: contentTypes }),
    fc.constant({ body: undefined, contentType: 'application/json' }),
    fc.constant({ body: undefined, contentType: undefined }),
  );
}

/** A path parameter as it appears on the wire: valid, invalid or no percent-encoding at all. */
type WireParam = { text: string; raw: boolean };

/** Percent-encodings that decode to no valid UTF-8 text, or are not percent-encodings at all. */
const BROKEN_ENCODINGS = ['%FF%FE', '%', '%zz', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%F8%88%80%80%80', '%00', '%%41', 'a%2', '%C3'];

function wireParamArbitrary(knownIds: readonly string[]): fc.Arbitrary<WireParam> {
  const hex = (byte: number) => `%${byte.toString(16).padStart(2, '0').toUpperCase()}`;
  return fc.oneof(
    { weight: 6, arbitrary: paramArbitrary(knownIds).map((text) => ({ text: encodeURIComponent(text), raw: false })) },
    { weight: 2, arbitrary: fc.constantFrom(...BROKEN_ENCODINGS).map((text) => ({ text, raw: false })) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 6 }).map((bytes) => ({ text: [...bytes].map(hex).join(''), raw: false })) },
    {
      weight: 2,
      // Bytes a client should have percent-encoded: controls, space, DEL and everything above ASCII.
      arbitrary: fc
        .array(fc.oneof(fc.integer({ min: 0, max: 0x20 }), fc.integer({ min: 0x7f, max: 0xff })), { minLength: 1, maxLength: 6 })
        // Spaces at the very end of the target are not part of it: the request line allows
        // several spaces before `HTTP/1.1`, so `/id ` is a valid request for `/id`.
        .filter((bytes) => bytes[bytes.length - 1] !== 0x20)
        .map((bytes) => ({ text: `id${Buffer.from(bytes).toString('latin1')}`, raw: true })),
    },
  );
}

function paramArbitrary(knownIds: readonly string[]): fc.Arbitrary<string> {
  return fc
    .oneof(
      fc.constantFrom(...knownIds),
      fc.uuid(),
      fc.string({ maxLength: 80 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.webSegment(),
      fc.constantFrom('..', '%', '%00', ' ', 'a'.repeat(300), '-1', '0', 'null', 'undefined', '__proto__'),
    )
    .map((value) => (value === '' ? 'x' : value));
}

function queryArbitrary(schema: JsonSchema | undefined): fc.Arbitrary<string> {
  const names = Object.keys(schema?.properties ?? {});
  const key = names.length === 0 ? fc.string({ maxLength: 10 }) : fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 10 }));
  const value = fc.oneof(fc.string({ maxLength: 40 }), fc.integer().map(String), fc.double().map(String), fc.constantFrom('', 'true', '-1', '1e999', 'a'.repeat(600)));
  return fc.array(fc.tuple(key, value), { maxLength: 5 }).map((pairs) => (pairs.length === 0 ? '' : `?${new URLSearchParams(pairs).toString()}`));
}

function requestArbitrary(route: RouteInventoryEntry, knownIds: readonly string[]): fc.Arbitrary<GeneratedRequest> {
  const names = [...route.url.matchAll(/:([A-Za-z_]+)/g)].map((match) => match[1]!);
  const path = fc
    .tuple(...names.map(() => wireParamArbitrary(knownIds)))
    .map((values) => {
      let index = 0;
      return { path: route.url.replace(/:([A-Za-z_]+)/g, () => values[index++]!.text), raw: values.some((value) => value.raw) };
    });
  const hasBody = !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(route.method);
  return fc.record({
    target: names.length === 0 ? fc.constant({ path: route.url, raw: false }) : path,
    query: queryArbitrary(route.schema.querystring as JsonSchema | undefined),
    payload: hasBody ? bodyArbitrary(route.schema.body as JsonSchema | undefined) : fc.constant({ body: undefined, contentType: undefined }),
    lastEventId: fc.option(fc.oneof(fc.string({ maxLength: 60 }), fc.uuid().map((id) => `${id}:1`)), { nil: undefined }),
  }).map(({ payload, target, ...rest }) => ({ ...rest, ...target, ...payload }));
}

/** A response as the fuzz check needs it. */
interface FuzzResponse {
  status: number;
  text: string;
}

/**
 * Sends a request on a bare socket with the request line's bytes as generated
 * (latin1), and reads until the server closes: status and body.
 */
function sendRaw(port: number, method: string, target: string, headers: Record<string, string>, body: string | undefined): Promise<FuzzResponse> {
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(body, 'utf8');
  const lines = [`${method} `, target, ' HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}\r\n`);
  lines.push(`Content-Length: ${payload.length}\r\n\r\n`);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.end(Buffer.concat([Buffer.from(lines.join(''), 'latin1'), payload])));
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const response = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
      const headerEnd = response.indexOf('\r\n\r\n');
      resolve({ status, text: headerEnd < 0 ? '' : response.slice(headerEnd + 4) });
    });
  });
}

describe('fuzzing every route', () => {
  let server: RunningParley;
  let knownIds: string[];
  before(async () => {
    server = await startParley({ PARLEY_MOCK_CHUNK_DELAY_MS: '0' });
    const conversation = await requestJson(`${server.url}/conversations`, { body: {} });
    await requestJson(`${server.url}/conversations/${conversation.body.id}/messages`, { body: { message: 'hello' } });
    await (await fetch(`${server.url}/conversations/${conversation.body.id}/stream`)).text();
    const messages = await requestJson(`${server.url}/conversations/${conversation.body.id}/messages`);
    knownIds = [conversation.body.id, ...(messages.body.messages as { id: string }[]).map((message) => message.id), 'fuzz-user'];
  });
  after(() => server.stop({ graceMs: 500 }));

  test('no 5xx, and every 4xx is {error: {code, message}} with a known code', async (context) => {
    const routes = server.parley.app.routeInventory.filter((route) => !route.websocket && !/^\/(docs|redoc)(\/|$)/.test(route.url));
    assert.ok(routes.length > 0);
    const perRouteMs = Math.floor(TOTAL_BUDGET_MS / routes.length);
    let total = 0;
    for (const route of routes) {
      await context.test(`${route.method} ${route.url}`, async () => {
        await fc.assert(
          fc.asyncProperty(requestArbitrary(route, knownIds), async (generated) => {
            total++;
            const headers: Record<string, string> = {};
            if (generated.contentType !== undefined) headers['content-type'] = generated.contentType;
            if (generated.lastEventId !== undefined) headers['last-event-id'] = generated.lastEventId.replace(/[\r\n]/g, '');
            let response: FuzzResponse;
            if (generated.raw) {
              response = await sendRaw(server.port, route.method, `${generated.path}${generated.query}`, headers, generated.body);
              assert.ok(response.status >= 400 && response.status < 500, `raw bytes: ${JSON.stringify(generated.path)} -> ${response.status}`);
            } else {
              const answer = await fetch(`${server.url}${generated.path}${generated.query}`, {
                method: route.method,
                headers,
                body: generated.body,
                signal: AbortSignal.timeout(10_000),
              });
              response = { status: answer.status, text: await answer.text() };
            }
            const { text } = response;
            const label = `${route.method} ${generated.path}${generated.query} -> ${response.status} ${text.slice(0, 300)}`;
            assert.ok(response.status < 500, label);
            if (response.status >= 400) {
              let body: { error?: { code?: unknown; message?: unknown } };
              try {
                body = JSON.parse(text) as typeof body;
              } catch {
                assert.fail(`not JSON: ${label}`);
              }
              assert.equal(typeof body.error?.message, 'string', label);
              assert.ok(typeof body.error?.code === 'string' && body.error.code in ERROR_CODES, label);
            }
          }),
          { numRuns: RUNS_PER_ROUTE, interruptAfterTimeLimit: perRouteMs, ...(SEED === undefined ? {} : { seed: SEED }) },
        );
      });
    }
    context.diagnostic(`${total} generated requests over ${routes.length} routes`);
    assert.ok(total >= 1000, `only ${total} requests were generated`);
  });
});
