/**
 * `messages.parts`: a user message's content with its attachments (images,
 * audio, files), as JSON text of the provider-neutral content parts in order,
 * text included; inline bytes are base64 inside it. Kept in the database in
 * both dialects (SQLite TEXT, PostgreSQL text): attachments are bounded by
 * PARLEY_MAX_MESSAGE_ATTACHMENT_BYTES (10 MiB by default), well within what
 * either stores in a row. Null for text-only messages.
 */
import type { Kysely } from 'kysely';

export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema.alterTable('messages').addColumn('parts', 'text').execute();
}

export async function down(database: Kysely<unknown>): Promise<void> {
  await database.schema.alterTable('messages').dropColumn('parts').execute();
}
