/**
 * `messages.provider_metadata`: what a provider attached to an assistant answer
 * for its own later use (Anthropic thinking blocks with signatures, Gemini
 * thought signatures), sent back with the message on later turns. JSON text, so
 * SQLite and PostgreSQL store and return it the same way; null when none.
 */
import type { Kysely } from 'kysely';

export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema.alterTable('messages').addColumn('provider_metadata', 'text').execute();
}

export async function down(database: Kysely<unknown>): Promise<void> {
  await database.schema.alterTable('messages').dropColumn('provider_metadata').execute();
}
