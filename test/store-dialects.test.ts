import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { MemoryRunDirectory } from '../src/runs/directory.js';
import { eventsOf, MemoryRunEventLog } from '../src/runs/event-log.js';
import { RunLeases } from '../src/runs/leases.js';
import { partsOf, providerMetadataOf, Store } from '../src/store/index.js';

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
      // The second answer's run never got a row (as after a crash): the message is an orphan.
      assert.equal(await store.messages.markOrphansInterrupted(), 1);
      assert.equal((await store.messages.get(conversation.id, second.id))?.status, 'interrupted');
    });

    test('an answer\'s provider metadata is stored as JSON and read back; other messages have none', async (context) => {
      const reason = skip();
      if (reason !== false) return context.skip(reason);
      const conversation = await store.conversations.create('owner-a');
      const user = await store.messages.append(conversation.id, 'user', 'hi');
      const runId = uuidv7();
      const run = { id: runId, owner_id: 'owner-a', conversation_id: conversation.id, surface: 'conversations', provider: 'mock', model: 'm', instance_id: 'instance-m', thinking: 'auto', leaseMs: 60_000 };
      const answer = (await store.beginRun(run, { conversationId: conversation.id, model: 'm' }))!;
      const providerMetadata = { anthropic: { thinking: [{ type: 'thinking', thinking: 'ünïcode ✓', signature: 'c2ln' }] } };
      await store.messages.finish(answer.id, { status: 'complete', content: 'hello', reasoning: 'ünïcode ✓', finish_reason: 'stop', usage: null, providerMetadata });
      const [storedUser, storedAnswer] = await store.messages.listActive(conversation.id);
      assert.equal(storedUser?.id, user.id);
      // The inserts find their parent (the head) themselves and report it (INSERT ... RETURNING on both dialects).
      assert.equal(user.parent_id, null);
      assert.equal(storedUser?.parent_id, null);
      assert.equal(answer.parent_id, user.id);
      assert.equal(storedAnswer?.parent_id, user.id);
      const next = await store.messages.append(conversation.id, 'user', 'again');
      assert.equal(next.parent_id, answer.id);
      assert.equal((await store.messages.get(conversation.id, next.id))?.parent_id, answer.id);
      // The history read: the newest messages, oldest first, with only the columns a run's context needs.
      const history = await store.messages.history(conversation.id, 2);
      assert.deepEqual(history.map((message) => message.id), [answer.id, next.id]);
      assert.deepEqual(Object.keys(history[0]!).sort(), ['content', 'id', 'model', 'parts', 'provider_metadata', 'role', 'status']);
      assert.deepEqual(providerMetadataOf(history[0]!), providerMetadata);
      // Starting the answer marked the conversation's activity.
      assert.equal((await store.conversations.get('owner-a', conversation.id))?.updated_at, answer.created_at);
      assert.equal(providerMetadataOf(storedUser), undefined);
      assert.deepEqual(providerMetadataOf(storedAnswer), providerMetadata);
    });

    test('a user message keeps its attachments (a megabyte inline) and a fallback answer its serving provider and model', async (context) => {
      const reason = skip();
      if (reason !== false) return context.skip(reason);
      const conversation = await store.conversations.create('owner-a');
      const parts = [
        { type: 'image' as const, source: { type: 'base64' as const, mediaType: 'image/png', data: Buffer.alloc(1_048_576, 0xa7).toString('base64') } },
        { type: 'text' as const, text: 'what is this? ✓' },
      ];
      await store.messages.append(conversation.id, 'user', 'what is this? ✓', null, parts);
      const runId = uuidv7();
      const run = { id: runId, owner_id: 'owner-a', conversation_id: conversation.id, surface: 'conversations', provider: 'custom', model: 'model-a', instance_id: 'instance-p', thinking: 'auto', leaseMs: 60_000 };
      const answer = (await store.beginRun(run, { conversationId: conversation.id, model: 'chain' }))!;
      const served = { provider: 'openai', model: 'model-b' };
      await store.messages.finish(answer.id, { status: 'complete', content: 'a picture', reasoning: '', finish_reason: 'stop', usage: null, served });
      await store.runs.finish(runId, 'complete', 'stop', { prompt_tokens: 1, completion_tokens: 1, reasoning_tokens: 0, cached_tokens: 0 }, null, served);
      const [storedUser, storedAnswer] = await store.messages.listActive(conversation.id);
      assert.deepEqual(partsOf(storedUser!), parts);
      assert.equal(partsOf(storedAnswer!), undefined);
      assert.deepEqual([storedAnswer?.provider, storedAnswer?.model], ['openai', 'model-b']);
      const storedRun = await store.runs.get('owner-a', runId);
      assert.deepEqual([storedRun?.provider, storedRun?.model], ['openai', 'model-b']);
    });

    /** A streaming run of `instanceId` with its message, whose lease lasts `leaseMs` from now. */
    const runningAnswer = async (instanceId: string, leaseMs: number) => {
      const conversation = await store.conversations.create('owner-a');
      await store.messages.append(conversation.id, 'user', 'hi');
      const id = uuidv7();
      const run = { id, owner_id: 'owner-a', conversation_id: conversation.id, surface: 'conversations', provider: 'mock', model: 'm', instance_id: instanceId, thinking: 'auto', leaseMs };
      const message = await store.beginRun(run, { conversationId: conversation.id, model: 'm' });
      return { id, conversationId: conversation.id, messageId: message!.id };
    };
    const statusOf = async (answer: { id: string; conversationId: string; messageId: string }) => [
      (await store.runs.get('owner-a', answer.id))?.status,
      (await store.messages.get(answer.conversationId, answer.messageId))?.status,
    ];

    test('a restarting instance leaves another instance\'s live run alone, recovers an expired lease and its own runs; readers get the terminal event', async (context) => {
      const reason = skip();
      if (reason !== false) return context.skip(reason);
      const live = await runningAnswer('instance-live', 60_000);
      const expired = await runningAnswer('instance-dead', 1);
      const own = await runningAnswer('instance-restarting', 60_000);
      await new Promise((resolve) => setTimeout(resolve, 10));
      // A reader tails the dead instance's run in a log every instance shares (as Redis would be).
      const log = new MemoryRunEventLog(60);
      log.append(expired.id, { type: 'message.delta', text: 'partial' });
      const tail = (async () => {
        const types: string[] = [];
        for await (const event of eventsOf(log, expired.id, 0)) types.push(event.type);
        return types;
      })();

      const leases = new RunLeases({
        store,
        log,
        directory: new MemoryRunDirectory(),
        holder: { localRunIds: () => [], interrupt: () => undefined },
        instanceId: 'instance-restarting',
        leaseMs: 60_000,
      });
      const recovered = await leases.start();
      leases.stop();
      assert.deepEqual(recovered.map((run) => run.id).sort(), [expired.id, own.id].sort());
      assert.deepEqual(await statusOf(live), ['streaming', 'streaming']);
      assert.deepEqual(await statusOf(expired), ['interrupted', 'interrupted']);
      assert.deepEqual(await statusOf(own), ['interrupted', 'interrupted']);
      assert.deepEqual(await tail, ['message.delta', 'run.cancelled']);
      // Recovery is idempotent: nothing is left to recover, and the live run stays.
      assert.deepEqual(await leases.recover(), []);
      assert.deepEqual(await statusOf(live), ['streaming', 'streaming']);
      await log.close();
    });

    test('a heartbeat renews the leases its instance holds and reports the runs another instance took over', async (context) => {
      const reason = skip();
      if (reason !== false) return context.skip(reason);
      const kept = await runningAnswer('instance-h', 50);
      const taken = await runningAnswer('instance-h', 50);
      const directory = new MemoryRunDirectory();
      const interrupted: string[] = [];
      const leases = new RunLeases({
        store,
        log: new MemoryRunEventLog(60),
        directory,
        holder: { localRunIds: () => [kept.id, taken.id], interrupt: (runIds) => interrupted.push(...runIds) },
        instanceId: 'instance-h',
        leaseMs: 60_000,
      });
      await leases.heartbeat();
      await new Promise((resolve) => setTimeout(resolve, 60));
      // Past the first lease: still alive, renewed for a minute.
      const other = new RunLeases({ store, log: new MemoryRunEventLog(60), directory, holder: { localRunIds: () => [], interrupt: () => undefined }, instanceId: 'instance-x', leaseMs: 60_000 });
      assert.deepEqual(await other.recover(), []);
      // Another instance recovers one of them (as after a lost database connection): the next heartbeat stops it.
      await store.database.updateTable('runs').set({ status: 'interrupted' }).where('id', '=', taken.id).execute();
      await leases.heartbeat();
      assert.deepEqual(interrupted, [taken.id]);
      assert.deepEqual(await statusOf(kept), ['streaming', 'streaming']);
      await store.database.updateTable('runs').set({ status: 'complete' }).where('id', '=', kept.id).execute();
    });

    test('usage sums only spent tokens: cache hits as cached answers with their saved tokens, reported costs as cost_usd', async (context) => {
      const reason = skip();
      if (reason !== false) return context.skip(reason);
      const owner = `owner-usage-${uuidv7()}`;
      const finished = async (usage: Parameters<Store['runs']['finish']>[3]) => {
        const id = uuidv7();
        await store.runs.create({ id, owner_id: owner, conversation_id: null, surface: 'openai', provider: 'p', model: 'm', instance_id: 'instance-u', thinking: 'auto', leaseMs: 60_000 });
        await store.runs.finish(id, 'complete', 'stop', usage, null);
        return store.runs.get(owner, id);
      };
      await finished({ prompt_tokens: 10, completion_tokens: 342, reasoning_tokens: 340, cached_tokens: 0, cost: 0.000172125 });
      await finished({ prompt_tokens: 194, completion_tokens: 2, reasoning_tokens: 0, cached_tokens: 0, cost: 0.95 });
      const hit = await finished({ prompt_tokens: 0, completion_tokens: 0, reasoning_tokens: 0, cached_tokens: 0, cache_hit: true, saved_tokens: 352 });
      assert.deepEqual([hit?.cache_hit, hit?.saved_tokens, hit?.cost_usd], [1, 352, null]);
      const { totals } = await store.runs.usage(owner);
      assert.deepEqual(
        [totals.runs, totals.prompt_tokens, totals.completion_tokens, totals.total_tokens, totals.cached_answers, totals.saved_tokens],
        [3, 204, 344, 548, 1, 352],
      );
      assert.ok(Math.abs(totals.cost_usd - 0.950172125) < 1e-12, String(totals.cost_usd));
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
