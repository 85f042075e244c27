/**
 * Honest usage accounting: what a run cost the provider, and what
 * it did not.
 *
 * - `cache_hit` (0/1): the answer was replayed from Parley's response cache;
 *   no provider call was made, so the token columns stay 0.
 * - `saved_tokens`: the tokens (prompt + completion) the original answer cost,
 *   which the replay did not spend again.
 * - `cost_usd`: the cost the provider reported for the call, in USD
 *   (OpenRouter `usage.cost`, xAI `cost_in_usd_ticks` / 1e10); null when it
 *   reported none.
 *
 * On `runs` (summed by `GET /usage`) and on `messages` (the usage a stored
 * answer shows; null on user messages and rows from before). Portable across
 * SQLite and PostgreSQL: one column per ALTER TABLE, as SQLite allows no more;
 * `double precision` is REAL in SQLite and float8 in PostgreSQL.
 */
import type { Kysely } from 'kysely';

export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema.alterTable('runs').addColumn('cache_hit', 'integer', (column) => column.notNull().defaultTo(0)).execute();
  await database.schema.alterTable('runs').addColumn('saved_tokens', 'integer', (column) => column.notNull().defaultTo(0)).execute();
  await database.schema.alterTable('runs').addColumn('cost_usd', 'double precision').execute();
  await database.schema.alterTable('messages').addColumn('cache_hit', 'integer').execute();
  await database.schema.alterTable('messages').addColumn('saved_tokens', 'integer').execute();
  await database.schema.alterTable('messages').addColumn('cost_usd', 'double precision').execute();
}

export async function down(database: Kysely<unknown>): Promise<void> {
  for (const table of ['messages', 'runs']) {
    for (const column of ['cost_usd', 'saved_tokens', 'cache_hit']) await database.schema.alterTable(table).dropColumn(column).execute();
  }
}
