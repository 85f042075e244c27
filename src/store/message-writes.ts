/**
 * The statements that write a run's assistant and user messages on every
 * turn, compiled once per database (see compiled-query.ts).
 */
import type { Kysely } from 'kysely';
import { CompiledStatement } from './compiled-query.js';
import type { Message, MessageOutcome } from './messages.js';
import type { Database } from './schema.js';

/**
 * Inserts `row` (its `parent_id` ignored) as the child of its conversation's
 * newest active message, found by a subquery of the INSERT itself and
 * returned: the parent the row was stored with, null for a first message.
 * One statement where a head read and an insert were two; the
 * `messages_conversation (conversation_id, active, id)` index answers the
 * subquery (EXPLAIN QUERY PLAN: a covering-index search, no sort). Same SQL
 * on SQLite (3.35+ for RETURNING) and PostgreSQL.
 */
export async function insertAfterHead(database: Kysely<Database>, row: Omit<Message, 'active'>): Promise<string | null> {
  const { rows } = await insertAfterHeadStatement.execute(database, { ...row, parent_id: null });
  const inserted = rows[0];
  if (inserted === undefined) throw new Error('INSERT ... RETURNING returned no row');
  return inserted.parent_id;
}

/** Every column of a new message, in one fixed order (the statement's parameter positions). */
const MESSAGE_COLUMNS = [
  'id',
  'conversation_id',
  'parent_id',
  'role',
  'content',
  'reasoning',
  'model',
  'status',
  'finish_reason',
  'prompt_tokens',
  'completion_tokens',
  'reasoning_tokens',
  'cached_tokens',
  'cache_hit',
  'saved_tokens',
  'cost_usd',
  'error_code',
  'error_message',
  'run_id',
  'provider_metadata',
  'provider',
  'parts',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof Omit<Message, 'active'>)[];

/** {@link insertAfterHead}: its `parent_id` parameter is unused (the subquery takes its place). */
const insertAfterHeadStatement = new CompiledStatement<Omit<Message, 'active'>, { parent_id: string | null }>(
  MESSAGE_COLUMNS.filter((name) => name !== 'parent_id'),
  (database, row) =>
    database
      .insertInto('messages')
      .values({
        ...row,
        parent_id: (builder) =>
          builder
            .selectFrom('messages')
            .select('messages.id')
            .where('messages.conversation_id', '=', row.conversation_id)
            .where('messages.active', '=', 1)
            .orderBy('messages.id', 'desc')
            .limit(1),
      })
      .returning('parent_id'),
);

/** The columns an answer's final state writes besides who served it. */
const FINISH_COLUMNS = [
  'status',
  'content',
  'reasoning',
  'finish_reason',
  'prompt_tokens',
  'completion_tokens',
  'reasoning_tokens',
  'cached_tokens',
  'cache_hit',
  'saved_tokens',
  'cost_usd',
  'error_code',
  'error_message',
  'provider_metadata',
] as const;

type MessageFinish = { [K in (typeof FINISH_COLUMNS)[number] | 'updated_at']: Message[K] } & { id: string };

/** The final-state update, `served` naming the served columns it also sets (a fallback run sets the model too). */
function finishStatement<S extends 'provider' | 'model'>(served: readonly S[]) {
  return new CompiledStatement<MessageFinish & Pick<Message, S>, unknown>([...FINISH_COLUMNS, ...served, 'updated_at', 'id'], (database, { id, ...columns }) =>
    database.updateTable('messages').set(columns).where('id', '=', id),
  );
}

const finishStatements = { none: finishStatement([]), provider: finishStatement(['provider']), model: finishStatement(['provider', 'model']) };

/** Writes the final state of a run's assistant message (MessageRepository.finish); `database` may be a transaction. */
export async function finishMessage(database: Kysely<Database>, id: string, outcome: MessageOutcome): Promise<void> {
  const { usage, served } = outcome;
  const columns: MessageFinish = {
    status: outcome.status,
    content: outcome.content,
    reasoning: outcome.reasoning === '' ? null : outcome.reasoning,
    finish_reason: outcome.finish_reason,
    prompt_tokens: usage?.prompt_tokens ?? null,
    completion_tokens: usage?.completion_tokens ?? null,
    reasoning_tokens: usage?.reasoning_tokens ?? null,
    cached_tokens: usage?.cached_tokens ?? null,
    cache_hit: usage == null ? null : usage.cache_hit === true ? 1 : 0,
    saved_tokens: usage?.saved_tokens ?? null,
    cost_usd: usage?.cost ?? null,
    error_code: outcome.error?.code ?? null,
    error_message: outcome.error?.message ?? null,
    provider_metadata: outcome.providerMetadata === undefined ? null : JSON.stringify(outcome.providerMetadata),
    updated_at: new Date().toISOString(),
    id,
  };
  if (served === undefined) await finishStatements.none.execute(database, columns);
  else if (served.model === undefined) await finishStatements.provider.execute(database, { ...columns, provider: served.provider });
  else await finishStatements.model.execute(database, { ...columns, provider: served.provider, model: served.model });
}
