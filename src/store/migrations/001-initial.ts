/** First cut of the schema (DESIGN.md "Data"); portable across SQLite and PostgreSQL. */
import type { Kysely } from 'kysely';

export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('key_hash', 'text', (column) => column.notNull().unique())
    .addColumn('key_prefix', 'text', (column) => column.notNull())
    .addColumn('rate_limit_per_minute', 'integer')
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('revoked_at', 'text')
    .execute();

  await database.schema
    .createTable('conversations')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('owner_id', 'text', (column) => column.notNull())
    .addColumn('external_id', 'text')
    .addColumn('title', 'text')
    .addColumn('default_model', 'text')
    .addColumn('persona', 'text')
    .addColumn('system_prompt', 'text')
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'text', (column) => column.notNull())
    .execute();
  await database.schema
    .createIndex('conversations_owner_external')
    .on('conversations')
    .columns(['owner_id', 'external_id'])
    .unique()
    .execute();
  await database.schema.createIndex('conversations_owner_updated').on('conversations').columns(['owner_id', 'updated_at']).execute();

  await database.schema
    .createTable('messages')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('conversation_id', 'text', (column) => column.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('parent_id', 'text')
    .addColumn('active', 'integer', (column) => column.notNull().defaultTo(1))
    .addColumn('role', 'text', (column) => column.notNull())
    .addColumn('content', 'text', (column) => column.notNull())
    .addColumn('reasoning', 'text')
    .addColumn('model', 'text')
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('finish_reason', 'text')
    .addColumn('prompt_tokens', 'integer')
    .addColumn('completion_tokens', 'integer')
    .addColumn('reasoning_tokens', 'integer')
    .addColumn('cached_tokens', 'integer')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('run_id', 'text')
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'text', (column) => column.notNull())
    .execute();
  await database.schema.createIndex('messages_conversation').on('messages').columns(['conversation_id', 'active', 'id']).execute();
  await database.schema.createIndex('messages_status').on('messages').column('status').execute();

  await database.schema
    .createTable('runs')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('owner_id', 'text', (column) => column.notNull())
    .addColumn('conversation_id', 'text')
    .addColumn('message_id', 'text')
    .addColumn('surface', 'text', (column) => column.notNull())
    .addColumn('provider', 'text', (column) => column.notNull())
    .addColumn('model', 'text', (column) => column.notNull())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('finish_reason', 'text')
    .addColumn('prompt_tokens', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('completion_tokens', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('reasoning_tokens', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('cached_tokens', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('error_code', 'text')
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('completed_at', 'text')
    .execute();
  await database.schema.createIndex('runs_owner_created').on('runs').columns(['owner_id', 'created_at']).execute();
  await database.schema.createIndex('runs_status').on('runs').column('status').execute();
}

export async function down(database: Kysely<unknown>): Promise<void> {
  for (const table of ['runs', 'messages', 'conversations', 'api_keys']) {
    await database.schema.dropTable(table).ifExists().execute();
  }
}
