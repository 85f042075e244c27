/**
 * Stored responses of the OpenAI Responses surface: the request a response
 * answered (so `GET /v1/responses/{id}` can echo it), its input items, and
 * its final output once the run ended. The conversation turn itself lives in
 * `messages`, like every other surface's.
 */
import type { Kysely } from 'kysely';

export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema
    .createTable('responses')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('owner_id', 'text', (column) => column.notNull())
    .addColumn('run_id', 'text', (column) => column.notNull())
    .addColumn('conversation_id', 'text')
    .addColumn('message_id', 'text')
    .addColumn('previous_response_id', 'text')
    .addColumn('request', 'text', (column) => column.notNull())
    .addColumn('input_items', 'text', (column) => column.notNull())
    .addColumn('output', 'text')
    .addColumn('created_at', 'text', (column) => column.notNull())
    .execute();
  await database.schema.createIndex('responses_owner_created').on('responses').columns(['owner_id', 'created_at']).execute();
  await database.schema.createIndex('responses_run').on('responses').column('run_id').execute();
}

export async function down(database: Kysely<unknown>): Promise<void> {
  await database.schema.dropTable('responses').ifExists().execute();
}
