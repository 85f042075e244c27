/**
 * Property-based fuzzing of every HTTP route the server has when the test
 * runs (from its route inventory): generated bodies (near-valid, one field of
 * the wrong type, `fc.anything()`, raw JSON text, non-JSON text, other
 * content types), path params and query strings. The server must never answer
 * 5xx, and every 4xx must be the JSON error body with a code from ERROR_CODES.
 * Bounded to roughly 30 s; set FUZZ_RUNS / FUZZ_SEED to go further or replay.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { ERROR_CODES } from '../src/errors.js';
import type { RouteInventoryEntry } from '../src/http/guard/route-inventory.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { nearValueArbitrary, oneWrongFieldArbitrary, sampleValue, wrongValueArbitrary, type JsonSchema } from './helpers/schema-sample.js';

const TOTAL_BUDGET_MS = 28_000;
const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 200);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

/** One generated request. */
interface GeneratedRequest {
  path: string;
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
    .tuple(...names.map(() => paramArbitrary(knownIds)))
    .map((values) => {
      let index = 0;
      return route.url.replace(/:([A-Za-z_]+)/g, () => encodeURIComponent(values[index++]!));
    });
  const hasBody = !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(route.method);
  return fc.record({
    path: names.length === 0 ? fc.constant(route.url) : path,
    query: queryArbitrary(route.schema.querystring as JsonSchema | undefined),
    payload: hasBody ? bodyArbitrary(route.schema.body as JsonSchema | undefined) : fc.constant({ body: undefined, contentType: undefined }),
    lastEventId: fc.option(fc.oneof(fc.string({ maxLength: 60 }), fc.uuid().map((id) => `${id}:1`)), { nil: undefined }),
  }).map(({ payload, ...rest }) => ({ ...rest, ...payload }));
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
            const response = await fetch(`${server.url}${generated.path}${generated.query}`, {
              method: route.method,
              headers,
              body: generated.body,
              signal: AbortSignal.timeout(10_000),
            });
            const text = await response.text();
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
