/**
 * What one stored conversation turn costs the database: a fixed, small number
 * of SQL statements (BEGIN and COMMIT included), so the per-turn cost cannot
 * silently grow. Counted through Store.statements on a real server, driven
 * with real HTTP clients through seed 003 (`POST /chat`) and seed 001
 * (messages + stream). The mock answers in well under the 1 s checkpoint
 * interval, so no partial-text checkpoint write is part of a turn here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { collectSse } from './helpers/sse.js';

const KEY = 'store-statements-key';
const auth = { 'x-api-key': KEY };

/**
 * Seed 003, one turn in an existing session: the conversation read, the user
 * message (one INSERT that finds its parent, the head, by a subquery), the
 * history read; start transaction (BEGIN, assistant placeholder, again
 * parented by a subquery, the conversation's `updated_at`, run row, COMMIT);
 * finish transaction (BEGIN, message, conversation, run, COMMIT).
 * Was 15: a head read before each of the two inserts, and a separate
 * `updated_at` write, are gone.
 */
const SEED_003_TURN = 13;
/**
 * Seed 001, POST messages (conversation read, user message with its parent
 * subquery, `updated_at`) then GET stream (conversation read, head check,
 * history read, then the same start and finish transactions as seed 003).
 * Was 17: the head reads before the two inserts are gone, and the start
 * transaction's `updated_at` takes the place of its head read.
 */
const SEED_001_TURN = 16;
/**
 * Commits of a lone seed-003 turn: the user message (autocommit), the start
 * transaction and the finish transaction. Was 4, with the `updated_at`
 * autocommit.
 */
const SEED_003_COMMITS = 3;

describe('SQL statements of a stored turn', () => {
  let server: RunningParley;
  before(async () => {
    // A lease long enough that no heartbeat or recovery pass runs during a turn.
    server = await startParley({ INTERNAL_API_KEY: KEY, PARLEY_RUN_LEASE_SECONDS: '3600' });
  });
  after(() => server.stop());
  const statements = () => server.parley.core.store.statements;
  const commits = () => server.parley.core.store.commits;

  /** Statements between `turn`'s start and the moment its answer is stored (the stream's end). */
  async function counted(turn: () => Promise<void>, gauge = statements): Promise<number> {
    const before = gauge();
    await turn();
    return gauge() - before;
  }

  /** One seed-003 turn in session `session`, read to its `done` event. */
  const chat = async (message: string, session = 'statements-003') => {
    const response = await fetch(`${server.url}/chat`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ message, session_id: session }),
    });
    assert.equal(response.status, 200);
    const events = await collectSse(response);
    assert.equal(events.at(-1)?.event, 'done');
  };

  test('seed 003 POST /chat: a fixed number of statements per turn', async () => {
    await chat('first, which creates the session');
    const second = await counted(() => chat('second'));
    const third = await counted(() => chat('third'));
    assert.equal(second, SEED_003_TURN);
    assert.equal(third, SEED_003_TURN, 'the cost does not grow with the history');
    assert.equal(await counted(() => chat('fourth'), commits), SEED_003_COMMITS);
  });

  test('seed 003: concurrent turns share commits (group commit), and every answer is stored', async () => {
    const sessions = Array.from({ length: 8 }, (_, index) => `statements-003-concurrent-${index}`);
    // Sessions created first, so the counted turns are the same kind of turn as above.
    await Promise.all(sessions.map((session) => chat('first', session)));
    const spent = await counted(() => Promise.all(sessions.map((session) => chat('together', session))).then(() => undefined), commits);
    assert.ok(spent < 2 * sessions.length, `${spent} commits for ${sessions.length} concurrent turns (${SEED_003_COMMITS * sessions.length} unbatched)`);
    const { database } = server.parley.core.store;
    for (const session of sessions) {
      const messages = await database
        .selectFrom('messages')
        .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
        .select(['messages.role', 'messages.status', 'messages.content'])
        .where('conversations.external_id', '=', session)
        .orderBy('messages.id')
        .execute();
      assert.deepEqual(
        messages.map((message) => `${message.role} ${message.status}`),
        ['user complete', 'assistant complete', 'user complete', 'assistant complete'],
        session,
      );
      assert.ok(messages.at(-1)!.content.length > 0, `${session}: the answer is stored`);
    }
  });

  test('seed 001 messages + stream: a fixed number of statements per turn', async () => {
    const conversation = (await requestJson(`${server.url}/conversations`, { body: {}, headers: auth })).body as { id: string };
    const turn = async (message: string) => {
      assert.equal((await requestJson(`${server.url}/conversations/${conversation.id}/messages`, { body: { message }, headers: auth })).status, 200);
      const events = await collectSse(await fetch(`${server.url}/conversations/${conversation.id}/stream`, { headers: auth }));
      assert.equal(JSON.parse(events.at(-1)!.data).done, true);
    };
    await turn('first');
    const second = await counted(() => turn('second'));
    const third = await counted(() => turn('third'));
    assert.equal(second, SEED_001_TURN);
    assert.equal(third, SEED_001_TURN, 'the cost does not grow with the history');
  });
});
