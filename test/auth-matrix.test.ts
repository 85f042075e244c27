/**
 * Keys and tenancy over every route of the running server (from its route
 * inventory, so a new surface is covered without editing this file): no key
 * 401, wrong or revoked key 403, another tenant's ids 404 and never another
 * tenant's text, the right key neither 401/403 nor 5xx. Keys come from the
 * real `parley keys` CLI.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RouteInventoryEntry } from '../src/http/plugins/guard/route-inventory.js';
import { createKey, keysCli, type CreatedKey } from './helpers/keys-cli.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { collectSse } from './helpers/sse.js';
import { DEFAULT_HINTS, sampleValue, type FieldHints, type JsonSchema } from './helpers/schema-sample.js';

/** Text only tenant A ever sends; it must never reach tenant B. */
const MARKER = 'tenant-a-secret-7f3c';
const EXTERNAL_ID = 'shared-user-id';

/** Tenant A's stored things, by the param names routes use for them. */
interface OwnedIds {
  conversation: string;
  message: string;
  run: string;
  task?: string;
  response?: string;
}

interface Probe {
  status: number;
  text: string;
}

function isDocumentation(url: string): boolean {
  return url === '/openapi.json' || /^\/(docs|redoc)(\/|$)/.test(url);
}

/** The path with each `:param` filled from tenant A's ids. */
function pathFor(route: RouteInventoryEntry, ids: OwnedIds): { path: string; namesOwnedId: boolean } {
  let namesOwnedId = false;
  const path = route.url.replace(/:([A-Za-z_]+)/g, (_match, name: string) => {
    namesOwnedId ||= !/^(user_id|session_id)$/.test(name);
    if (name === 'message_id') return ids.message;
    if (name === 'task_id') return ids.task ?? ids.run;
    if (name === 'response_id') return ids.response ?? EXTERNAL_ID;
    if (name === 'run_id' || (name === 'id' && route.url.startsWith('/runs'))) return ids.run;
    if (name === 'id' || name === 'conversation_id') return ids.conversation;
    return EXTERNAL_ID;
  });
  return { path, namesOwnedId };
}

function hintsFor(ids: OwnedIds, text: string): FieldHints {
  return {
    ...DEFAULT_HINTS,
    message: text,
    content: text,
    prompt: text,
    text,
    input: text,
    user_id: EXTERNAL_ID,
    session_id: EXTERNAL_ID,
    conversation_id: ids.conversation,
    message_id: ids.message,
    run_id: ids.run,
    task_id: ids.task ?? ids.run,
    last_task_id: ids.task ?? ids.run,
  };
}

function queryFor(route: RouteInventoryEntry, hints: FieldHints): string {
  const schema = route.schema.querystring as JsonSchema | undefined;
  if (schema === undefined) return '';
  const values = sampleValue(schema, hints) as Record<string, unknown>;
  const query = new URLSearchParams(Object.entries(values).map(([key, value]): [string, string] => [key, String(value)]));
  return query.size === 0 ? '' : `?${query.toString()}`;
}

/** Sends one request the way a client of the route would; reads the whole answer (SSE included). */
async function probe(baseUrl: string, route: RouteInventoryEntry, ids: OwnedIds, key: string | undefined, text = 'hello'): Promise<Probe> {
  const hints = hintsFor(ids, text);
  const { path } = pathFor(route, ids);
  const hasBody = !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(route.method);
  const body = hasBody ? JSON.stringify(route.schema.body === undefined ? {} : sampleValue(route.schema.body as JsonSchema, hints)) : undefined;
  const response = await fetch(`${baseUrl}${path}${queryFor(route, hints)}`, {
    method: route.method,
    headers: { ...(key === undefined ? {} : { 'x-api-key': key }), ...(hasBody ? { 'content-type': 'application/json' } : {}) },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, text: await response.text() };
}

describe('auth matrix: every route, every kind of caller', () => {
  let server: RunningParley;
  let routes: readonly RouteInventoryEntry[];
  let tenantA: CreatedKey;
  let tenantB: CreatedKey;
  let revoked: CreatedKey;
  let ids: OwnedIds;

  before(async () => {
    // Cache window 0 so a revocation is visible on the next request; no rate limits in the way.
    server = await startParley({ PARLEY_KEY_CACHE_SECONDS: '0', PARLEY_RATE_LIMIT_IP_PER_MINUTE: '0', PARLEY_RATE_LIMIT_KEY_PER_MINUTE: '0' });
    routes = server.parley.app.routeInventory.filter((route) => !route.public && !isDocumentation(route.url));
  });
  after(() => server.stop());

  test('auth is off until the CLI creates a key, then on without a restart', async () => {
    assert.equal((await requestJson(`${server.url}/v1/models`)).status, 200);
    [tenantA, tenantB, revoked] = await Promise.all([
      createKey(server.dataDir, 'tenant a'),
      createKey(server.dataDir, 'tenant b', 30),
      createKey(server.dataDir, 'to be revoked'),
    ]);
    assert.match(tenantA.key, /^pk_[A-Za-z0-9_-]{43}$/);
    const refused = await requestJson(`${server.url}/v1/models`);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.code, 'missing_api_key');
    assert.equal((await requestJson(`${server.url}/v1/models`, { headers: { 'x-api-key': tenantA.key } })).status, 200);
    assert.equal((await requestJson(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${tenantB.key}` } })).status, 200);
  });

  test('the database and listings hold only digests and prefixes, never a key', async () => {
    const listing = await keysCli(server.dataDir, ['list']);
    assert.match(listing, new RegExp(tenantA.id));
    assert.match(listing, new RegExp(tenantA.key_prefix));
    for (const file of ['parley.sqlite', 'parley.sqlite-wal']) {
      let bytes = '';
      try {
        bytes = readFileSync(join(server.dataDir, file)).toString('latin1');
      } catch {
        continue;
      }
      for (const key of [tenantA, tenantB, revoked]) assert.equal(bytes.includes(key.key), false, `${file} contains a key`);
    }
    assert.equal(listing.includes(tenantA.key), false);
  });

  test('a revoked key is refused (403) on the next request', async () => {
    assert.equal((await requestJson(`${server.url}/v1/models`, { headers: { 'x-api-key': revoked.key } })).status, 200);
    const output = await keysCli(server.dataDir, ['revoke', revoked.id]);
    assert.match(output, /Revoked key/);
    const refused = await requestJson(`${server.url}/v1/models`, { headers: { 'x-api-key': revoked.key } });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'invalid_api_key');
    const listed = JSON.parse(await keysCli(server.dataDir, ['list', '--json'])) as { id: string; revoked_at: string | null }[];
    assert.ok(listed.find((record) => record.id === revoked.id)?.revoked_at);
  });

  test('tenant A stores a conversation, an answer, runs and (where the surfaces exist) seed histories', async () => {
    const headers = { 'x-api-key': tenantA.key };
    const conversation = await requestJson(`${server.url}/conversations`, { body: {}, headers });
    assert.equal(conversation.status, 200);
    assert.equal((await requestJson(`${server.url}/conversations/${conversation.body.id}/messages`, { body: { message: MARKER }, headers })).status, 200);
    const events = await collectSse(await fetch(`${server.url}/conversations/${conversation.body.id}/stream`, { headers }));
    const runId = events.find((event) => event.id !== undefined)?.id?.split(':')[0];
    assert.ok(runId);
    const messages = await requestJson(`${server.url}/conversations/${conversation.body.id}/messages`, { headers });
    const answer = (messages.body.messages as { id: string; role: string }[]).find((message) => message.role === 'assistant');
    assert.ok(answer);
    ids = { conversation: conversation.body.id, message: answer.id, run: runId };
    // Every surface that starts a run for a seed user/session id gets A's text under the shared id.
    for (const route of routes.filter((candidate) => candidate.startsRun && !candidate.url.includes(':'))) {
      const result = await probe(server.url, route, ids, tenantA.key, MARKER);
      const taskId = /"task_id"\s*:\s*"([^"]+)"/.exec(result.text)?.[1];
      if (taskId !== undefined) ids.task ??= taskId;
      const responseId = /"id"\s*:\s*"(resp_[0-9a-f]+)"/.exec(result.text)?.[1];
      if (responseId !== undefined) ids.response ??= responseId;
    }
    assert.ok(ids.response, 'POST /v1/responses stored a response of A');
  });

  test('every route without a key answers 401 missing_api_key', async () => {
    for (const route of routes) {
      const result = await probe(server.url, route, ids, undefined);
      assert.equal(result.status, 401, `${route.method} ${route.url}`);
      assert.equal(JSON.parse(result.text).error.code, 'missing_api_key', `${route.method} ${route.url}`);
    }
  });

  test('every route with a wrong or a revoked key answers 403 invalid_api_key', async () => {
    for (const key of ['pk_not-a-real-key', revoked.key]) {
      for (const route of routes) {
        const result = await probe(server.url, route, ids, key);
        assert.equal(result.status, 403, `${route.method} ${route.url}`);
        assert.equal(JSON.parse(result.text).error.code, 'invalid_api_key', `${route.method} ${route.url}`);
      }
    }
  });

  test("tenant B gets 404 for tenant A's ids on every route, and never A's text", async (context) => {
    const withIds = routes.filter((route) => pathFor(route, ids).namesOwnedId);
    context.diagnostic(`${routes.length} routes, ${withIds.length} naming tenant A's ids: ${withIds.map((route) => `${route.method} ${route.url}`).join(', ')}`);
    for (const route of routes) {
      const result = await probe(server.url, route, ids, tenantB.key);
      const label = `${route.method} ${route.url} -> ${result.status} ${result.text.slice(0, 200)}`;
      assert.equal(result.text.includes(MARKER), false, `leaks tenant A's text: ${label}`);
      // Resuming answers "nothing to resume" (204, what useChat expects for a chat with no
      // running answer) for another key's chat exactly as for an unknown one, so it reveals nothing.
      if (pathFor(route, ids).namesOwnedId) assert.equal(result.status, route.url === '/ai-sdk/chat/:id/stream' ? 204 : 404, label);
      assert.ok(result.status < 500, label);
    }
    // Nothing B did touched A's conversation.
    const still = await requestJson(`${server.url}/conversations/${ids.conversation}/messages`, { headers: { 'x-api-key': tenantA.key } });
    assert.equal(still.status, 200);
    assert.equal(still.body.messages[0].content, MARKER);
  });

  test('every route with the right key is served (not 401/403, not 5xx)', async () => {
    // Deleting routes last, so the others still find A's things.
    const ordered = [...routes].sort((left, right) => Number(left.method === 'DELETE') - Number(right.method === 'DELETE'));
    for (const route of ordered) {
      const result = await probe(server.url, route, ids, tenantA.key);
      const label = `${route.method} ${route.url} -> ${result.status} ${result.text.slice(0, 200)}`;
      assert.ok(result.status !== 401 && result.status !== 403, label);
      assert.ok(result.status < 500, label);
    }
  });
});

describe('API_KEYS and CLI keys together', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley({ API_KEYS: 'env-key-1', PARLEY_KEY_CACHE_SECONDS: '0' });
  });
  after(() => server.stop());

  test('both kinds of key work, each as its own tenant', async () => {
    const created = await createKey(server.dataDir, 'cli');
    const fromEnvironment = await requestJson(`${server.url}/conversations`, { body: { title: 'env' }, headers: { 'x-api-key': 'env-key-1' } });
    assert.equal(fromEnvironment.status, 200);
    const fromCli = await requestJson(`${server.url}/conversations`, { headers: { 'x-api-key': created.key } });
    assert.equal(fromCli.status, 200);
    assert.deepEqual(fromCli.body.conversations, []);
    assert.equal((await requestJson(`${server.url}/conversations/${fromEnvironment.body.id}`, { headers: { 'x-api-key': created.key } })).status, 404);
    assert.equal((await requestJson(`${server.url}/v1/models`)).status, 401);
  });
});
