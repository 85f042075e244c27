/**
 * Opens the database and applies migrations. Embedded default: a SQLite file
 * under the data directory (WAL mode). `postgres://` URLs use PostgreSQL
 * through the same Kysely schema and migrations.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration, type MigrationProvider, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import * as initial from './migrations/001-initial.js';
import * as providerMetadata from './migrations/002-message-provider-metadata.js';
import * as responses from './migrations/003-responses.js';
import * as runLeases from './migrations/004-run-leases.js';
import * as messageProvider from './migrations/005-message-provider.js';
import * as messageParts from './migrations/006-message-parts.js';
import type { Database } from './schema.js';

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
      '005-message-provider': messageProvider,
      '006-message-parts': messageParts,
    });
  }
}

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

/**
 * Opens the database and migrates it to the latest schema.
 * @throws Error when the database cannot be opened or a migration fails.
 */
export async function openDatabase(location: DatabaseLocation): Promise<Kysely<Database>> {
  let database: Kysely<Database>;
  if (location.databaseUrl !== undefined) {
    database = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: location.databaseUrl, max: 10 }) }),
    });
  } else {
    mkdirSync(location.dataDir, { recursive: true });
    const file = new SQLite(join(location.dataDir, 'parley.sqlite'));
    // WAL lets readers proceed while a run writes; NORMAL sync is durable across
    // process crashes, which is the failure a chat backend sees most.
    file.pragma('journal_mode = WAL');
    file.pragma('synchronous = NORMAL');
    file.pragma('foreign_keys = ON');
    file.pragma('busy_timeout = 5000');
    database = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(file) }) });
  }
  const { error, results } = await new Migrator({ db: database, provider: new StaticMigrations() }).migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error !== undefined || failed !== undefined) {
    await database.destroy();
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, { cause: error });
  }
  return database;
}
