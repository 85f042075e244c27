/**
 * The PostgreSQL pool survives connections the server ends: an idle
 * connection terminated by PostgreSQL (a restart, an administrator,
 * pg_terminate_backend) must not crash the process, and the next query works
 * on a new connection. Needs PostgreSQL (skipped with the reason otherwise).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { Store } from '../src/store/index.js';
import { createTestDatabase, scaledSkipReason, type TestDatabase } from './helpers/scaled.js';

describe('PostgreSQL connections ended by the server', { skip: await scaledSkipReason() }, () => {
  let database: TestDatabase;
  let store: Store;
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  before(async () => {
    database = await createTestDatabase();
    store = await Store.open({ databaseUrl: database.url });
    process.on('uncaughtException', onUncaught);
  });
  after(async () => {
    process.off('uncaughtException', onUncaught);
    await store.close();
    await database.drop();
  });

  test('idle pool connections terminated by the server raise nothing, and the next query reconnects', async () => {
    // Several idle connections in the pool.
    await Promise.all(Array.from({ length: 4 }, () => store.ping()));
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const name = new URL(database.url).pathname.slice(1);
      const terminated = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
      assert.ok((terminated.rowCount ?? 0) >= 1, 'the pool had idle connections to end');
    } finally {
      await admin.end();
    }
    await sleep(200);
    assert.deepEqual(uncaught, [], 'no error escaped the pool');
    assert.equal(await store.ping(), true);
  });
});
