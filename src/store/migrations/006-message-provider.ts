/**
 * `messages.provider`: the provider that wrote an assistant answer. With a
 * fallback alias (PARLEY_MODEL_ALIASES with a list) it is the target that
 * served, which the message's `model` then names too; null on user messages
 * and on rows from before it was kept.
 */
import type { Kysely } from 'kysely';

export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema.alterTable('messages').addColumn('provider', 'text').execute();
}

export async function down(database: Kysely<unknown>): Promise<void> {
  await database.schema.alterTable('messages').dropColumn('provider').execute();
}
