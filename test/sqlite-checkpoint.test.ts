/**
 * SQLite WAL checkpoints run in a worker thread, not inside a commit on the
 * main thread: on a real server driven with stored `POST /chat` turns, the
 * main connection's automatic checkpoint is raised to a backstop, the worker
 * checkpoints and the WAL stays bounded, shutdown leaves the WAL empty, and a worker that
 * cannot start or dies gives the checkpoints back to the main connection.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { sqliteCheckpointStats } from '../src/store/database.js';
import { AUTOCHECKPOINT_PAGES, BACKSTOP_AUTOCHECKPOINT_PAGES, useCheckpointWorkerScript } from '../src/store/sqlite-checkpoint.js';
import { startParley, type RunningParley } from './helpers/parley.js';
import { collectSse } from './helpers/sse.js';

const KEY = 'sqlite-checkpoint-key';
/** Concurrent clients of the write load, as the benchmark's concurrency-32 phase. */
const CLIENTS = 32;
/** Turns per client: enough WAL for SQLite to have checkpointed (1000 pages) several times. */
const TURNS_PER_CLIENT = 12;
/**
 * What the WAL may reach: the backstop (8 MiB of 4 KiB pages) and a commit's
 * worth more. Without any checkpoint this load grows it to about 22 MB; with
 * the worker it peaked at 2.5 MB when other processes left the machine quiet,
 * at the backstop when they did not.
 */
const WAL_BOUND_BYTES = 10 * 1024 * 1024;

/** One stored seed-003 turn, read to its `done` event. */
async function turn(server: RunningParley, session: string, message: string): Promise<void> {
  const response = await fetch(`${server.url}/chat`, {
    method: 'POST',
    headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ message, session_id: session }),
  });
  assert.equal(response.status, 200);
  assert.equal((await collectSse(response)).at(-1)?.event, 'done');
}

/** The main connection's `wal_autocheckpoint`, in pages. */
async function autocheckpoint(server: RunningParley): Promise<number> {
  const { rows } = await sql<{ wal_autocheckpoint: number }>`PRAGMA wal_autocheckpoint`.execute(server.parley.core.store.database);
  return rows[0]!.wal_autocheckpoint;
}

/** Waits (up to 10 s) until `condition` holds. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`timed out waiting until ${what}`);
}

const walFile = (server: RunningParley) => join(server.dataDir, 'parley.sqlite-wal');
const stats = (server: RunningParley) => sqliteCheckpointStats(server.parley.core.store.database)!;

describe('SQLite checkpoints in a worker thread', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley({ INTERNAL_API_KEY: KEY });
  });
  after(() => server.stop());

  test('once the worker runs, the main connection checkpoints only past the backstop', async () => {
    await until(() => stats(server).running, 'the worker is ready');
    assert.equal(await autocheckpoint(server), BACKSTOP_AUTOCHECKPOINT_PAGES);
  });

  test('under concurrent stored turns the worker checkpoints and the WAL stays bounded', async () => {
    const before = stats(server).checkpoints;
    let largest = 0;
    const sampler = setInterval(() => (largest = Math.max(largest, statSync(walFile(server)).size)), 20);
    try {
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, client) => {
          for (let index = 0; index < TURNS_PER_CLIENT; index += 1) await turn(server, `checkpoint-${client}`, `turn ${index} ${'x'.repeat(2000)}`);
        }),
      );
    } finally {
      clearInterval(sampler);
    }
    await until(() => stats(server).checkpoints > before, 'the worker checkpointed');
    const { rows } = await sql<{ stored: number }>`SELECT count(*) AS stored FROM messages`.execute(server.parley.core.store.database);
    assert.equal(rows[0]!.stored, 2 * CLIENTS * TURNS_PER_CLIENT, 'every question and answer is stored');
    assert.ok(largest > 0 && largest <= WAL_BOUND_BYTES, `the WAL reached ${largest} bytes`);
    assert.equal(await autocheckpoint(server), BACKSTOP_AUTOCHECKPOINT_PAGES, 'the worker is still the one checkpointing');
  });

  test('/metrics exports the worker\'s checkpoints and the WAL size', async () => {
    const text = await (await fetch(`${server.url}/metrics`, { headers: { 'x-api-key': KEY } })).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    const { checkpoints } = stats(server);
    assert.ok(checkpoints > 0);
    // The worker may checkpoint again between the scrape and this read.
    assert.ok(value('parley_sqlite_checkpoints_total') >= 1 && value('parley_sqlite_checkpoints_total') <= checkpoints, text);
    assert.ok(value('parley_sqlite_wal_bytes') >= 0 && value('parley_sqlite_wal_bytes') <= WAL_BOUND_BYTES);
    assert.match(text, /^# TYPE parley_sqlite_checkpoints_total counter$/m);
    assert.match(text, /^# TYPE parley_sqlite_wal_bytes gauge$/m);
  });

  test('closing the database stops the worker and leaves no WAL behind', async () => {
    await turn(server, 'checkpoint-close', 'a last write before closing');
    const dataDir = server.dataDir;
    await server.stop({ keepData: true });
    try {
      const wal = join(dataDir, 'parley.sqlite-wal');
      assert.ok(!existsSync(wal) || statSync(wal).size === 0, 'the WAL is gone or empty');
      assert.equal(stats(server).running, false);
      // The data survived the compaction: a restart finds the last conversation.
      server = await startParley({ INTERNAL_API_KEY: KEY }, dataDir);
      const { rows } = await sql<{ stored: number }>`SELECT count(*) AS stored FROM conversations WHERE external_id = 'checkpoint-close'`.execute(
        server.parley.core.store.database,
      );
      assert.equal(rows[0]!.stored, 1);
    } catch (error) {
      rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
  });
});

describe('SQLite checkpoints without a worker', () => {
  const warnings: string[] = [];
  const onWarning = (warning: Error & { code?: string }) => {
    if (warning.code === 'PARLEY_SQLITE_CHECKPOINT') warnings.push(warning.message);
  };
  const scripts = mkdtempSync(join(tmpdir(), 'parley-checkpoint-worker-'));
  let server: RunningParley | undefined;
  before(() => void process.on('warning', onWarning));
  afterEach(async () => {
    useCheckpointWorkerScript(undefined);
    warnings.length = 0;
    await server?.stop();
    server = undefined;
  });
  after(() => {
    process.off('warning', onWarning);
    rmSync(scripts, { recursive: true, force: true });
  });

  test('a worker that cannot start leaves automatic checkpoints on, with one warning', async () => {
    useCheckpointWorkerScript(pathToFileURL(join(scripts, 'missing-worker.mjs')));
    server = await startParley({ INTERNAL_API_KEY: KEY });
    await until(() => warnings.length > 0, 'the failure is reported');
    assert.equal(await autocheckpoint(server), AUTOCHECKPOINT_PAGES);
    await turn(server, 'no-worker', 'still stored');
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /checkpointing on the main thread again/);
    assert.equal(stats(server).running, false);
  });

  test('a worker that dies gives checkpoints back to the main connection, with one warning', async () => {
    const dying = join(scripts, 'dying-worker.mjs');
    writeFileSync(dying, "import { parentPort } from 'node:worker_threads';\nparentPort.postMessage('ready');\nsetTimeout(() => { throw new Error('disk on fire'); }, 300);\n");
    useCheckpointWorkerScript(pathToFileURL(dying));
    server = await startParley({ INTERNAL_API_KEY: KEY });
    const running = server;
    await until(async () => (await autocheckpoint(running)) === BACKSTOP_AUTOCHECKPOINT_PAGES, 'the worker is ready');
    await until(() => warnings.length > 0, 'the death is reported');
    assert.equal(await autocheckpoint(server), AUTOCHECKPOINT_PAGES);
    assert.match(warnings[0]!, /disk on fire/);
    await turn(server, 'dead-worker', 'still stored');
    assert.equal(warnings.length, 1, warnings.join('\n'));
  });
});
