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
 * Seed 003, one turn in an existing session: conversation and head reads, the
 * user message and the conversation's `updated_at` (2), the history read;
 * start transaction (BEGIN, head, assistant placeholder, run row, COMMIT);
 * finish transaction (BEGIN, message, conversation, run, COMMIT).
 */
const SEED_003_TURN = 15;
/**
 * Seed 001, POST messages (conversation read, head, user message, `updated_at`)
 * then GET stream (conversation read, head check, history read, then the same
 * start and finish transactions as seed 003).
 */
const SEED_001_TURN = 17;

describe('SQL statements of a stored turn', () => {
  let server: RunningParley;
  before(async () => {
    // A lease long enough that no heartbeat or recovery pass runs during a turn.
    server = await startParley({ INTERNAL_API_KEY: KEY, PARLEY_RUN_LEASE_SECONDS: '3600' });
  });
  after(() => server.stop());
  const statements = () => server.parley.core.store.statements;

  /** Statements between `turn`'s start and the moment its answer is stored (the stream's end). */
  async function counted(turn: () => Promise<void>): Promise<number> {
    const before = statements();
    await turn();
    return statements() - before;
  }

  test('seed 003 POST /chat: a fixed number of statements per turn', async () => {
    const chat = async (message: string) => {
      const response = await fetch(`${server.url}/chat`, {
        method: 'POST',
        headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ message, session_id: 'statements-003' }),
      });
      assert.equal(response.status, 200);
      const events = await collectSse(response);
      assert.equal(events.at(-1)?.event, 'done');
    };
    await chat('first, which creates the session');
    const second = await counted(() => chat('second'));
    const third = await counted(() => chat('third'));
    assert.equal(second, SEED_003_TURN);
    assert.equal(third, SEED_003_TURN, 'the cost does not grow with the history');
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
