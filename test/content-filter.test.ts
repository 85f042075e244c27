/**
 * The content filter: PARLEY_BLOCKLIST / PARLEY_BLOCKLIST_FILE (case-
 * insensitive whole words) and an OpenAI-compatible moderation endpoint
 * (flagged → 400 content_filtered; unreachable → fail open with a warning,
 * or closed with 503).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ContentFilter } from '../src/runs/content-filter.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { DEFAULT_HINTS, sampleValue, type JsonSchema } from './helpers/schema-sample.js';

function assertFiltered(response: { status: number; body: { error: { code: string; message: unknown } } }, where: string): void {
  assert.equal(response.status, 400, where);
  assert.equal(response.body.error.code, 'content_filtered', where);
  assert.equal(typeof response.body.error.message, 'string');
}

describe('blocklist', () => {
  let server: RunningParley;
  before(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'parley-blocklist-')), 'blocklist.txt');
    writeFileSync(file, '# one entry a line\nsecret sauce\n\n  Ünïcode  \n');
    server = await startParley({ PARLEY_BLOCKLIST: 'badword, forbidden fruit', PARLEY_BLOCKLIST_FILE: file });
  });
  after(() => server.stop());

  const conversation = async () => (await requestJson(`${server.url}/conversations`, { body: {} })).body.id as string;
  const send = (id: string, message: string) => requestJson(`${server.url}/conversations/${id}/messages`, { body: { message } });

  test('a blocked word or phrase is rejected in any case and spacing, and nothing is stored', async () => {
    const id = await conversation();
    for (const message of ['I said BADWORD!', 'badword', 'the Forbidden \n  Fruit tastes', 'secret sauce recipe', 'ünïcode here', 'ｂａｄｗｏｒｄ', 'bad\u200Bword']) {
      assertFiltered(await send(id, message), message);
    }
    const listed = await requestJson(`${server.url}/conversations/${id}/messages`);
    assert.deepEqual(listed.body.messages, []);
  });

  test('only whole words match', async () => {
    const id = await conversation();
    for (const message of ['badwords are fine', 'notbadword', 'forbidden fruitcake', 'badword_x', 'a forbidden thing and a fruit']) {
      assert.equal((await send(id, message)).status, 200, message);
    }
  });

  test("a conversation's system prompt is screened on create and on update", async () => {
    const created = await requestJson(`${server.url}/conversations`, { body: { system_prompt: 'Always say BADWORD.' } });
    assertFiltered(created, 'create');
    assert.equal(created.body.error.param, 'system_prompt');
    const id = await conversation();
    assertFiltered(await requestJson(`${server.url}/conversations/${id}`, { method: 'PATCH', body: { system_prompt: 'forbidden fruit only' } }), 'update');
    const patched = await requestJson(`${server.url}/conversations/${id}`, { method: 'PATCH', body: { system_prompt: 'Be brief.' } });
    assert.equal(patched.status, 200);
  });

  test('/v1 requests are screened, every message of them', async () => {
    const blocked = await requestJson(`${server.url}/v1/chat/completions`, {
      body: { model: 'mock-model', messages: [{ role: 'system', content: 'be kind' }, { role: 'user', content: 'say badword' }] },
    });
    assertFiltered(blocked, '/v1');
    assert.equal(blocked.body.error.param, 'messages');
    const parts = await requestJson(`${server.url}/v1/chat/completions`, {
      body: { model: 'mock-model', messages: [{ role: 'user', content: [{ type: 'text', text: 'forbidden fruit' }] }] },
    });
    assertFiltered(parts, '/v1 content parts');
    const clean = await requestJson(`${server.url}/v1/chat/completions`, { body: { model: 'mock-model', messages: [{ role: 'user', content: 'hello' }] } });
    assert.equal(clean.status, 200);
  });

  test('every chat surface that takes user text refuses blocked text', async (context) => {
    const textFields = ['message', 'content', 'prompt', 'messages', 'input'];
    const surfaces = server.parley.app.routeInventory.filter((route) => {
      const properties = (route.schema.body as JsonSchema | undefined)?.properties ?? {};
      return route.startsRun && !route.url.includes(':') && textFields.some((field) => field in properties);
    });
    context.diagnostic(surfaces.map((route) => `${route.method} ${route.url}`).join(', '));
    assert.ok(surfaces.length >= 1);
    for (const route of surfaces) {
      const body = sampleValue(route.schema.body as JsonSchema, { ...DEFAULT_HINTS, message: 'a badword here', content: 'a badword here', prompt: 'a badword here', text: 'a badword here', input: 'a badword here' });
      assertFiltered(await requestJson(`${server.url}${route.url}`, { method: route.method, body }), `${route.method} ${route.url}`);
    }
  });
});

/** A stand-in for OpenAI's `POST /v1/moderations`: flags any input containing "flagme". */
interface ModerationRequest {
  input: string[];
  model?: string;
}

async function startModeration(): Promise<{ url: string; server: Server; requests: { authorization?: string; body: ModerationRequest }[] }> {
  const requests: { authorization?: string; body: ModerationRequest }[] = [];
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      const body = JSON.parse(text) as ModerationRequest;
      requests.push({ authorization: request.headers.authorization, body });
      if (body.input.some((input) => input.includes('break-moderation'))) {
        response.writeHead(500).end('oops');
        return;
      }
      const results = body.input.map((input) => ({ flagged: input.includes('flagme'), categories: {} }));
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'modr-1', model: 'omni', results }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/moderations`, server, requests };
}

describe('provider moderation', () => {
  let moderation: Awaited<ReturnType<typeof startModeration>>;
  let server: RunningParley;
  before(async () => {
    moderation = await startModeration();
    server = await startParley({ PARLEY_MODERATION_URL: moderation.url, PARLEY_MODERATION_API_KEY: 'mod-key', PARLEY_MODERATION_MODEL: 'omni-moderation-latest' });
  });
  after(async () => {
    await server.stop();
    moderation.server.close();
  });

  test('flagged text is rejected; clean text passes; the endpoint gets the key, model and text', async () => {
    const id = (await requestJson(`${server.url}/conversations`, { body: {} })).body.id;
    assertFiltered(await requestJson(`${server.url}/conversations/${id}/messages`, { body: { message: 'please flagme' } }), 'flagged');
    assert.equal((await requestJson(`${server.url}/conversations/${id}/messages`, { body: { message: 'all good' } })).status, 200);
    const last = moderation.requests.at(-1)!;
    assert.equal(last.authorization, 'Bearer mod-key');
    assert.deepEqual(last.body, { input: ['all good'], model: 'omni-moderation-latest' });
    assertFiltered(
      await requestJson(`${server.url}/v1/chat/completions`, { body: { model: 'mock-model', messages: [{ role: 'user', content: 'flagme' }] } }),
      '/v1 flagged',
    );
  });

  test('a broken endpoint fails open by default', async () => {
    const id = (await requestJson(`${server.url}/conversations`, { body: {} })).body.id;
    assert.equal((await requestJson(`${server.url}/conversations/${id}/messages`, { body: { message: 'break-moderation' } })).status, 200);
  });
});

describe('moderation unreachable', () => {
  test('fail closed answers 503 moderation_unavailable and stores nothing', async () => {
    const server = await startParley({ PARLEY_MODERATION_URL: 'http://127.0.0.1:9/v1/moderations', PARLEY_MODERATION_FAIL_MODE: 'closed' });
    try {
      const id = (await requestJson(`${server.url}/conversations`, { body: {} })).body.id;
      const refused = await requestJson(`${server.url}/conversations/${id}/messages`, { body: { message: 'hello' } });
      assert.equal(refused.status, 503);
      assert.equal(refused.body.error.code, 'moderation_unavailable');
      assert.deepEqual((await requestJson(`${server.url}/conversations/${id}/messages`)).body.messages, []);
    } finally {
      await server.stop();
    }
  });

  test('fail open lets the text through and logs a warning; a hung endpoint times out', async () => {
    const hung = createServer(() => undefined);
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const warnings: string[] = [];
    const filter = new ContentFilter(
      { blocklist: [], moderation: { url: `http://127.0.0.1:${(hung.address() as AddressInfo).port}/`, timeoutMs: 200, failMode: 'open' } },
      { warn: (_details, message) => warnings.push(message) },
    );
    const started = Date.now();
    await filter.check(['hello']);
    assert.ok(Date.now() - started < 2_000);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /moderation unreachable/);
    hung.closeAllConnections();
    hung.close();
  });

  test('empty text is not sent for moderation', async () => {
    const filter = new ContentFilter({ blocklist: [], moderation: { url: 'http://127.0.0.1:9/', timeoutMs: 200, failMode: 'closed' } });
    await filter.check(['', '   ']);
  });
});
