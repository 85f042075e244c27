/**
 * CompiledStatement: built once per database, executed with each call's
 * values in the right parameter positions, on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql, type CompiledQuery } from 'kysely';
import { CompiledStatement } from '../src/store/compiled-query.js';
import { openDatabase } from '../src/store/database.js';
import type { Database } from '../src/store/schema.js';
import { createTestDatabase, type TestDatabase } from './helpers/scaled.js';

const REQUIRED = process.env.PARLEY_REQUIRE_SERVICES === '1';

/** A conversation insert whose parameter names come in another order than its columns. */
const insertConversation = new CompiledStatement<{ updated_at: string; title: string | null; id: string; owner_id: string; created_at: string }, unknown>(
  ['updated_at', 'title', 'id', 'owner_id', 'created_at'],
  (database, params) =>
    database.insertInto('conversations').values({
      id: params.id,
      owner_id: params.owner_id,
      external_id: null,
      title: params.title,
      default_model: 'constant-model',
      persona: null,
      system_prompt: null,
      created_at: params.created_at,
      updated_at: params.updated_at,
    }),
);

/** A select mixing a constant (`default_model`) with per-call values, `limit` included. */
const ownedTitles = new CompiledStatement<{ owner_id: string; limit: number }, { id: string; title: string | null }>(['owner_id', 'limit'], (database, params) =>
  database
    .selectFrom('conversations')
    .select(['id', 'title'])
    .where('default_model', '=', 'constant-model')
    .where('owner_id', '=', params.owner_id)
    .orderBy('id')
    .limit(params.limit),
);

function conversation(id: string, owner: string, title: string | null) {
  return { id, owner_id: owner, title, created_at: `2026-01-0${id.slice(-1)}T00:00:00.000Z`, updated_at: `2026-02-0${id.slice(-1)}T00:00:00.000Z` };
}

/** The same behaviour on each real database. */
function behaviour(name: string, open: () => Promise<{ database: Kysely<Database>; close: () => Promise<void> } | string>) {
  describe(`CompiledStatement on ${name}`, () => {
    let opened: { database: Kysely<Database>; close: () => Promise<void> } | string = 'not opened';
    after(async () => {
      if (typeof opened !== 'string') await opened.close();
    });

    test('every call binds its own values to the right columns, and constants stay', async (context) => {
      opened = await open();
      if (typeof opened === 'string') return context.skip(opened);
      const { database } = opened;
      for (const row of [conversation('c-1', 'owner-a', 'first'), conversation('c-2', 'owner-a', null), conversation('c-3', 'owner-b', 'third')]) {
        await insertConversation.execute(database, row);
      }
      const stored = await database.selectFrom('conversations').selectAll().orderBy('id').execute();
      assert.deepEqual(
        stored.map((row) => [row.id, row.owner_id, row.title, row.default_model, row.created_at, row.updated_at]),
        [
          ['c-1', 'owner-a', 'first', 'constant-model', '2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'],
          ['c-2', 'owner-a', null, 'constant-model', '2026-01-02T00:00:00.000Z', '2026-02-02T00:00:00.000Z'],
          ['c-3', 'owner-b', 'third', 'constant-model', '2026-01-03T00:00:00.000Z', '2026-02-03T00:00:00.000Z'],
        ],
      );
      assert.deepEqual((await ownedTitles.execute(database, { owner_id: 'owner-a', limit: 5 })).rows, [
        { id: 'c-1', title: 'first' },
        { id: 'c-2', title: null },
      ]);
      assert.deepEqual((await ownedTitles.execute(database, { owner_id: 'owner-a', limit: 1 })).rows, [{ id: 'c-1', title: 'first' }]);
      assert.deepEqual((await ownedTitles.execute(database, { owner_id: 'owner-b', limit: 5 })).rows, [{ id: 'c-3', title: 'third' }]);
    });

    test('runs on the transaction it is given: a rollback takes its write back', async (context) => {
      if (typeof opened === 'string') return context.skip(opened);
      const { database } = opened;
      await assert.rejects(
        database.transaction().execute(async (transaction) => {
          await insertConversation.execute(transaction, conversation('c-4', 'owner-c', 'rolled back'));
          assert.equal((await ownedTitles.execute(transaction, { owner_id: 'owner-c', limit: 5 })).rows.length, 1);
          throw new Error('roll back');
        }),
        /roll back/,
      );
      assert.deepEqual((await ownedTitles.execute(database, { owner_id: 'owner-c', limit: 5 })).rows, []);
    });
  });
}

behaviour('SQLite', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'parley-compiled-'));
  const database = await openDatabase({ dataDir: directory });
  return { database, close: async () => (await database.destroy(), rmSync(directory, { recursive: true, force: true })) };
});

behaviour('PostgreSQL', async () => {
  let created: TestDatabase;
  try {
    created = await createTestDatabase();
  } catch (error) {
    if (REQUIRED) throw error;
    return `PostgreSQL not reachable (${(error as Error).message})`;
  }
  const database = await openDatabase({ databaseUrl: created.url });
  return { database, close: async () => (await database.destroy(), await created.drop()) };
});

describe('CompiledStatement placeholders', () => {
  /** A PostgreSQL Kysely that executes nothing and records what it was asked. */
  function recordingPostgres(executed: CompiledQuery[]): Kysely<Database> {
    return new Kysely<Database>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createDriver: () => new DummyDriver(),
        createIntrospector: (database) => new PostgresIntrospector(database),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
      log: (event) => void executed.push(event.query),
    });
  }

  test("each dialect gets its own SQL: SQLite's ? and PostgreSQL's $n, with the parameters in their order", async () => {
    const directory = mkdtempSync(join(tmpdir(), 'parley-compiled-'));
    const sqlite = await openDatabase({ dataDir: directory });
    const executed: CompiledQuery[] = [];
    const postgres = recordingPostgres(executed);
    try {
      assert.equal(ownedTitles.sql(sqlite), 'select "id", "title" from "conversations" where "default_model" = ? and "owner_id" = ? order by "id" limit ?');
      assert.equal(ownedTitles.sql(postgres), 'select "id", "title" from "conversations" where "default_model" = $1 and "owner_id" = $2 order by "id" limit $3');
      await ownedTitles.execute(postgres, { owner_id: 'owner-x', limit: 7 });
      await ownedTitles.execute(postgres, { owner_id: 'owner-y', limit: 2 });
      assert.deepEqual(
        executed.map((query) => query.parameters),
        [
          ['constant-model', 'owner-x', 7],
          ['constant-model', 'owner-y', 2],
        ],
      );
      // The SQLite text did not replace the PostgreSQL one (one compilation per database).
      assert.match(ownedTitles.sql(sqlite), /= \?/);
    } finally {
      await sqlite.destroy();
      await postgres.destroy();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  test('a parameter the builder inlines into the SQL instead of binding is refused', () => {
    const executed: CompiledQuery[] = [];
    const postgres = recordingPostgres(executed);
    const inlined = new CompiledStatement<{ id: string }, unknown>(['id'], (database, params) =>
      database.selectFrom('conversations').select('id').where('id', '=', sql.lit(params.id)),
    );
    assert.throws(() => inlined.sql(postgres), /not bound as values/);
    const unused = new CompiledStatement<{ id: string; owner_id: string }, unknown>(['id', 'owner_id'], (database, params) =>
      database.selectFrom('conversations').select('id').where('id', '=', params.id),
    );
    assert.throws(() => unused.sql(postgres), /not bound as values: owner_id/);
  });
});
