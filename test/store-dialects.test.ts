import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { providerMetadataOf, Store } from '../src/store/index.js';

const POSTGRES_URL = process.env.PARLEY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REQUIRED = process.env.PARLEY_REQUIRE_SERVICES === '1';

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** One behaviour suite, run against each dialect the store speaks. */
function storeSuite(name: string, open: () => Promise<{ store: Store; dispose: () => Promise<void> }>, skip: () => string | false) {
  describe(`store on ${name}`, () => {
    let store: Store;
    let dispose: () => Promise<void>;
    before(async () => {
      if (skip() !== false) return;
      ({ store, dispose } = await open());
    });
    after(async () => {
      if (skip() === false) await dispose();
    });

    test('conversations are scoped to their owner', async (context) => {
      const reason = skip();
      if (reason !== false) return context.skip(reason);
      const mine = await store.conversations.create('owner-a', { default_model: 'm' });
      assert.equal((await store.conversations.get('owner-a', mine.id))?.default_model, 'm');
      assert.equal(await store.conversations.get('owner-b', mine.id), undefined);
      assert.equal(await store.conversations.update('owner-b', mine.id, { title: 'x' }), undefined);
      assert.equal(await store.conversations.delete('owner-b', mine.id), false);
      assert.equal(await store.conversations.delete('owner-a', mine.id), true);
    });

    test('messages keep order, branches and final state; counts follow the active branch', async (context) => {
      const reason = skip();
      if (reason !== false) return context.skip(reason);
      const conversation = await store.conversations.create('owner-a');
      const user = await store.messages.append(conversation.id, 'user', 'hi');
      const first = await store.messages.createAssistant(conversation.id, 'm', 'run-1');
      await store.messages.finish(first.id, {
        status: 'complete',
        content: 'hello',
        reasoning: 'hmm',
        finish_reason: 'stop',
        usage: { prompt_tokens: 3, completion_tokens: 2, reasoning_tokens: 1, cached_tokens: 0 },
      });
      const second = await store.messages.createAssistant(conversation.id, 'm', 'run-2', user.id);
      const active = await store.messages.listActive(conversation.id);
      assert.deepEqual(active.map((message) => message.id), [user.id, second.id]);
      assert.equal((await store.messages.get(conversation.id, first.id))?.content, 'hello');
      assert.equal(await store.conversations.messageCount(conversation.id), 2);
      const [summary] = (await store.conversations.list('owner-a')).filter((item) => item.id === conversation.id);
      assert.equal(summary?.message_count, 2);
      assert.equal(await store.messages.markStreamingInterrupted(), 1);
      assert.equal((await store.messages.get(conversation.id, second.id))?.status, 'interrupted');
    });

    test('an answer\'s provider metadata is stored as JSON and read back; other messages have none', async (context) => {
      const reason = skip();
      if (reason !== false) return context.skip(reason);
      const conversation = await store.conversations.create('owner-a');
      const user = await store.messages.append(conversation.id, 'user', 'hi');
      const answer = await store.messages.createAssistant(conversation.id, 'm', 'run-m');
      const providerMetadata = { anthropic: { thinking: [{ type: 'thinking', thinking: 'ünïcode ✓', signature: 'c2ln' }] } };
      await store.messages.finish(answer.id, { status: 'complete', content: 'hello', reasoning: 'ünïcode ✓', finish_reason: 'stop', usage: null, providerMetadata });
      const [storedUser, storedAnswer] = await store.messages.listActive(conversation.id);
      assert.equal(storedUser?.id, user.id);
      assert.equal(providerMetadataOf(storedUser), undefined);
      assert.deepEqual(providerMetadataOf(storedAnswer!), providerMetadata);
    });

    test('a seed session id maps to one conversation even when first requests race', async (context) => {
      const reason = skip();
      if (reason !== false) return context.skip(reason);
      const results = await Promise.all(Array.from({ length: 5 }, () => store.conversations.getOrCreateByExternalId('owner-a', 'session-1')));
      assert.equal(new Set(results.map((conversation) => conversation.id)).size, 1);
    });
  });
}

let postgresUnavailable: string | false = 'not checked yet';
before(async () => {
  postgresUnavailable = (await postgresReachable()) ? false : `PostgreSQL is not reachable at ${POSTGRES_URL}`;
  if (postgresUnavailable !== false && REQUIRED) throw new Error(`${postgresUnavailable}, and PARLEY_REQUIRE_SERVICES=1`);
  if (postgresUnavailable !== false) console.log(`# skipping PostgreSQL store tests: ${postgresUnavailable}`);
});

storeSuite(
  'SQLite',
  async () => {
    const directory = mkdtempSync(join(tmpdir(), 'parley-store-'));
    const store = await Store.open({ dataDir: directory });
    return { store, dispose: async () => (await store.close(), rmSync(directory, { recursive: true, force: true })) };
  },
  () => false,
);

storeSuite(
  'PostgreSQL',
  async () => {
    // A database of its own per run, so runs never see each other's rows.
    const name = `parley_test_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${name}`;
    const store = await Store.open({ databaseUrl: url.toString() });
    return {
      store,
      dispose: async () => {
        await store.close();
        await admin.query(`DROP DATABASE ${name}`);
        await admin.end();
      },
    };
  },
  () => postgresUnavailable,
);
