/**
 * Run leases and tasks from runs: each run row records the instance that runs
 * it and a heartbeat with the lease it renews, so recovery can tell a live
 * run of another instance from one whose instance died; and the thinking mode
 * it ran with, which a seed-000 task (a run) repeats when regenerated.
 * Portable across SQLite and PostgreSQL: one column per ALTER TABLE, as
 * SQLite allows no more.
 */
import { sql, type Kysely } from 'kysely';

const COLUMNS = ['instance_id', 'heartbeat_at', 'lease_expires_at', 'thinking'] as const;

export async function up(database: Kysely<unknown>): Promise<void> {
  // Recovery finds streaming runs through the existing status index (the streaming set is small).
  for (const column of COLUMNS) await database.schema.alterTable('runs').addColumn(column, 'text').execute();
  // A task is forgotten once PARLEY_TASK_MAX newer tasks exist: counted along this index, not across every
  // run. Partial, so the runs of other surfaces (every /v1 call) pay nothing for it.
  await database.schema.createIndex('runs_tasks').on('runs').column('id').where(sql.ref('surface'), 'in', ['tasks', 'websocket']).execute();
}

export async function down(database: Kysely<unknown>): Promise<void> {
  await database.schema.dropIndex('runs_tasks').ifExists().execute();
  for (const column of [...COLUMNS].reverse()) await database.schema.alterTable('runs').dropColumn(column).execute();
}
