/**
 * Run leases and tasks from runs: each run row records the instance that runs
 * it and a heartbeat with the lease it renews, so recovery can tell a live
 * run of another instance from one whose instance died; and the thinking mode
 * it ran with, which a seed-000 task (a run) repeats when regenerated.
 * Portable across SQLite and PostgreSQL: one column per ALTER TABLE, as
 * SQLite allows no more.
 */
import type { Kysely } from 'kysely';

const COLUMNS = ['instance_id', 'heartbeat_at', 'lease_expires_at', 'thinking'] as const;

export async function up(database: Kysely<unknown>): Promise<void> {
  for (const column of COLUMNS) await database.schema.alterTable('runs').addColumn(column, 'text').execute();
  // Recovery looks for streaming runs whose lease ran out.
  await database.schema.createIndex('runs_status_lease').on('runs').columns(['status', 'lease_expires_at']).execute();
  // A task is forgotten once PARLEY_TASK_MAX newer tasks exist: counted along this index.
  await database.schema.createIndex('runs_surface_id').on('runs').columns(['surface', 'id']).execute();
  await database.schema.createIndex('messages_run').on('messages').column('run_id').execute();
}

export async function down(database: Kysely<unknown>): Promise<void> {
  for (const index of ['messages_run', 'runs_surface_id', 'runs_status_lease']) await database.schema.dropIndex(index).ifExists().execute();
  for (const column of [...COLUMNS].reverse()) await database.schema.alterTable('runs').dropColumn(column).execute();
}
