/**
 * Opens the database and applies migrations. Embedded default: a SQLite file
 * under the data directory (WAL mode). `postgres://` URLs use PostgreSQL
 * through the same Kysely schema and migrations.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, SqliteDriver, type Driver, type LogEvent, type Migration, type MigrationProvider, type SqliteDatabase, type SqliteDialectConfig } from 'kysely';
import pg from 'pg';
import { ConfigError } from '../config/errors.js';
import * as initial from './migrations/001-initial.js';
import * as providerMetadata from './migrations/002-message-provider-metadata.js';
import * as responses from './migrations/003-responses.js';
import * as runLeases from './migrations/004-run-leases.js';
import * as usageAccounting from './migrations/005-usage-accounting.js';
import * as messageProvider from './migrations/006-message-provider.js';
import * as messageParts from './migrations/007-message-parts.js';
import type { Database } from './schema.js';
import { SqliteCheckpointer, type SqliteCheckpointStats } from './sqlite-checkpoint.js';

/** Where the data lives: a data directory (SQLite) or a PostgreSQL URL. */
export type DatabaseLocation = { dataDir: string; databaseUrl?: undefined } | { databaseUrl: string; dataDir?: string };

/** Migrations compiled into the bundle (no filesystem scanning, so `dist/` works as is). */
class StaticMigrations implements MigrationProvider {
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve({
      '001-initial': initial,
      '002-message-provider-metadata': providerMetadata,
      '003-responses': responses,
      '004-run-leases': runLeases,
      '005-usage-accounting': usageAccounting,
      '006-message-provider': messageProvider,
      '007-message-parts': messageParts,
    });
  }
}

/**
 * Key of the PostgreSQL advisory lock held while migrating: instances that
 * start together on one database migrate one after the other, and the later
 * ones find nothing left to do. (Any fixed 64-bit number; this one spells "parley".)
 */
const MIGRATION_LOCK_KEY = '7061726c6579';

/** Most distinct SQL texts kept prepared; Parley issues a few dozen. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * better-sqlite3 with prepared statements reused by SQL text. Kysely's SQLite
 * driver prepares every query anew, which profiling showed at ~7% of CPU on the
 * streaming path (two queries per run); Parley never iterates a statement, so
 * one statement object can serve every call of its SQL.
 */
function withStatementCache(database: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => void database.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql);
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

/** The main connection's wait for a lock held by another connection, in ms. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Bytes the WAL file is cut back to when SQLite restarts it: the size it
 * reached with SQLite's automatic checkpoint (1000 pages of 4 KiB), so a
 * burst while a long read held checkpoints back leaves no large file behind.
 */
const JOURNAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024;

/** The checkpoint worker of each open SQLite database. */
const checkpointers = new WeakMap<Kysely<Database>, SqliteCheckpointer>();

/**
 * What the checkpoint worker of `database` has done (see sqlite-checkpoint.ts);
 * undefined on PostgreSQL.
 */
export function sqliteCheckpointStats(database: Kysely<Database>): SqliteCheckpointStats | undefined {
  return checkpointers.get(database)?.stats;
}

/**
 * Kysely's SQLite driver, whose destroy first stops the checkpoint worker,
 * then compacts the WAL (TRUNCATE checkpoint) and closes the connection.
 * Kysely does not await `SqliteDatabase.close()`, hence a driver.
 */
class CheckpointedSqliteDriver extends SqliteDriver {
  constructor(
    config: SqliteDialectConfig,
    private readonly file: SQLite.Database,
    private readonly checkpointer: SqliteCheckpointer,
  ) {
    super(config);
  }

  override async destroy(): Promise<void> {
    await this.checkpointer.stop();
    try {
      // The WAL is left empty even when another process keeps the database open (SQLite deletes it when the last connection closes).
      if (this.file.open) this.file.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // A checkpoint that fails leaves a WAL the next open replays; the connection must close all the same.
    } finally {
      await super.destroy();
    }
  }
}

/** The SQLite dialect over {@link CheckpointedSqliteDriver}. */
class CheckpointedSqliteDialect extends SqliteDialect {
  constructor(
    private readonly config: SqliteDialectConfig,
    private readonly file: SQLite.Database,
    private readonly checkpointer: SqliteCheckpointer,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new CheckpointedSqliteDriver(this.config, this.file, this.checkpointer);
  }
}

/** Where the configuration puts the data: PostgreSQL when `databaseUrl` is set, else the SQLite file. */
export function databaseLocation(config: { dataDir: string; databaseUrl?: string }): DatabaseLocation {
  return config.databaseUrl === undefined ? { dataDir: config.dataDir } : { databaseUrl: config.databaseUrl, dataDir: config.dataDir };
}

/**
 * Runs `migrate` while holding the migration advisory lock on a connection of
 * its own (session lock: released when that connection ends, even if this
 * process dies mid-migration).
 */
async function underAdvisoryLock<T>(connectionString: string, migrate: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000 });
  // A connection lost mid-migration fails the pending query, which is reported; the event must not crash.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new ConfigError('DATABASE_URL', `cannot connect to PostgreSQL: ${(error as Error).message}`);
  }
  try {
    await client.query(`SELECT pg_advisory_lock(x'${MIGRATION_LOCK_KEY}'::bigint)`);
    return await migrate();
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Opens the database and migrates it to the latest schema. On PostgreSQL the
 * migrations run under an advisory lock, so instances starting at once are safe.
 * `onQuery` is told the SQL of every statement executed (BEGIN/COMMIT included).
 * On SQLite a worker thread checkpoints the WAL (sqlite-checkpoint.ts), and
 * `destroy()` stops it and leaves the WAL empty.
 * @throws ConfigError naming DATABASE_URL when PostgreSQL cannot be reached;
 *   Error when a migration fails.
 */
export async function openDatabase(location: DatabaseLocation, onQuery?: (sql: string) => void): Promise<Kysely<Database>> {
  let database: Kysely<Database>;
  let checkpointer: SqliteCheckpointer | undefined;
  // Every statement Kysely sends, transaction BEGIN/COMMIT included.
  const log = onQuery === undefined ? undefined : (event: LogEvent) => onQuery(event.query.sql);
  if (location.databaseUrl !== undefined) {
    const pool = new pg.Pool({ connectionString: location.databaseUrl, max: 10, connectionTimeoutMillis: 10_000 });
    // An idle connection that PostgreSQL ends (a restart, pg_terminate_backend, a
    // dropped database) is reported as an 'error' event, which without a listener
    // crashes the process. The pool has already discarded that connection and
    // opens a new one for the next query; a database that stays away shows in
    // the failing queries and in /health/ready.
    pool.on('error', () => undefined);
    database = new Kysely<Database>({
      dialect: new PostgresDialect({ pool }),
      ...(log === undefined ? {} : { log }),
    });
  } else {
    mkdirSync(location.dataDir, { recursive: true });
    const path = join(location.dataDir, 'parley.sqlite');
    const file = new SQLite(path);
    // WAL lets readers proceed while a run writes; NORMAL sync is durable across
    // process crashes, which is the failure a chat backend sees most.
    file.pragma('journal_mode = WAL');
    file.pragma('synchronous = NORMAL');
    file.pragma('foreign_keys = ON');
    file.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    file.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
    checkpointer = new SqliteCheckpointer(file, path, { busyTimeoutMs: BUSY_TIMEOUT_MS });
    const dialect = new CheckpointedSqliteDialect({ database: withStatementCache(file) }, file, checkpointer);
    database = new Kysely<Database>({ dialect, ...(log === undefined ? {} : { log }) });
  }
  const migrator = new Migrator({ db: database, provider: new StaticMigrations() });
  let outcome: Awaited<ReturnType<Migrator['migrateToLatest']>>;
  try {
    outcome = location.databaseUrl === undefined ? await migrator.migrateToLatest() : await underAdvisoryLock(location.databaseUrl, () => migrator.migrateToLatest());
  } catch (error) {
    await database.destroy();
    throw error;
  }
  const { error, results } = outcome;
  const failed = results?.find((result) => result.status === 'Error');
  if (error !== undefined || failed !== undefined) {
    await database.destroy();
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, { cause: error });
  }
  // After the migrations: until the worker is ready, SQLite checkpoints automatically as before.
  if (checkpointer !== undefined) {
    checkpointer.start();
    checkpointers.set(database, checkpointer);
  }
  return database;
}
