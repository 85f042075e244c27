/**
 * Group commit (src/store/write-batch.ts) on a real SQLite file and on
 * PostgreSQL (a fresh database; skipped with the reason when PostgreSQL or
 * Redis is not reachable, see helpers/scaled.ts): writes queued
 * in one event-loop turn share one transaction, each caller sees its write
 * committed when its promise resolves, and a failing write fails only its
 * own caller, never the other writes of its batch.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { openDatabase, type DatabaseLocation } from '../src/store/database.js';
import type { Database } from '../src/store/schema.js';
import { WriteBatcher } from '../src/store/write-batch.js';
import { createTestDatabase, scaledSkipReason } from './helpers/scaled.js';

/** Where a suite's database lives, and how to remove it afterwards. */
interface Place {
  location: DatabaseLocation;
  remove(): Promise<void>;
}

const sqlite = (): Promise<Place> => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-write-batch-'));
  return Promise.resolve({ location: { dataDir: dir }, remove: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })) });
};
const postgres = async (): Promise<Place> => {
  const database = await createTestDatabase();
  return { location: { databaseUrl: database.url }, remove: () => database.drop() };
};

batcherSuite('SQLite', sqlite, false);
batcherSuite('PostgreSQL', postgres, await scaledSkipReason());

function batcherSuite(name: string, place: () => Promise<Place>, skip: string | false): void {
  describe(`WriteBatcher on ${name}`, { skip }, () => {
    let where: Place;
    let database: Kysely<Database>;
    let batcher: WriteBatcher;
    let executed: string[] = [];
    before(async () => {
      where = await place();
      database = await openDatabase(where.location, (sql) => executed.push(sql.trim().split(/\s+/)[0]!.toLowerCase()));
      batcher = new WriteBatcher(database);
    });
    after(async () => {
      await batcher.idle();
      await database.destroy();
      await where.remove();
    });
    beforeEach(() => {
      executed = [];
    });

    const now = new Date().toISOString();
    /** Inserts conversation `id` (one statement). */
    const insert = (id: string) => (db: Kysely<Database>) =>
      db.insertInto('conversations').values({ id, owner_id: 'batch-owner', external_id: null, title: null, default_model: null, persona: null, system_prompt: null, created_at: now, updated_at: now }).execute();
    const stored = async (id: string) => (await database.selectFrom('conversations').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
    const count = (verb: string) => executed.filter((sql) => sql === verb).length;

    test('writes queued in one turn commit in one transaction, visible when each promise resolves', async () => {
      const ids = Array.from({ length: 8 }, (_, index) => `together-${index}`);
      const results = ids.map((id) => batcher.run(insert(id), { single: true }).then(async () => stored(id)));
      assert.deepEqual(await Promise.all(results), ids.map(() => true));
      assert.equal(count('begin'), 1);
      assert.equal(count('commit'), 1);
      assert.equal(count('insert'), 8);
    });

    test('a write alone runs as it would unbatched: one statement in autocommit, several in a transaction of their own', async () => {
      await batcher.run(insert('alone-single'), { single: true });
      assert.deepEqual(executed, ['insert']);
      executed = [];
      await batcher.run(async (db) => {
        await insert('alone-pair-1')(db);
        await insert('alone-pair-2')(db);
      });
      assert.deepEqual(executed, ['begin', 'insert', 'insert', 'commit']);
    });

    test('a failing write fails only its caller; the other writes of its batch are stored', async () => {
      await batcher.run(insert('duplicate'), { single: true });
      executed = [];
      const good = [batcher.run(insert('good-1'), { single: true }), batcher.run(insert('good-2'), { single: true })];
      const bad = batcher.run(insert('duplicate'), { single: true });
      // A two-statement write whose second statement fails: atomic, so its first insert is not kept either.
      const halfBad = batcher.run(async (db) => {
        await insert('half-bad')(db);
        await insert('duplicate')(db);
      });
      const late = batcher.run(insert('good-3'), { single: true });
      const outcomes = await Promise.allSettled([...good, bad, halfBad, late]);
      assert.deepEqual(
        outcomes.map((outcome) => outcome.status),
        ['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled'],
      );
      assert.match(String((outcomes[2] as PromiseRejectedResult).reason), /UNIQUE constraint failed|duplicate key value/);
      for (const id of ['good-1', 'good-2', 'good-3']) assert.equal(await stored(id), true, id);
      assert.equal(await stored('half-bad'), false, 'the failed write left nothing behind');
      assert.equal(count('rollback'), 2, 'the batch, then the multi-statement write alone');
    });

    test('idle() commits what is queued without waiting for the next turn', async () => {
      const write = batcher.run(insert('idle'), { single: true });
      await batcher.idle();
      assert.equal(await stored('idle'), true);
      await write;
    });
  });
}
