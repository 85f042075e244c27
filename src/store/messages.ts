/**
 * Messages of a conversation. Callers check conversation ownership first (via
 * {@link ConversationRepository.get}); message ids are only ever looked up
 * together with their conversation id.
 */
import type { Kysely, Selectable } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { ContentPart, ProviderMetadata, Usage } from '../providers/types.js';
import { CompiledStatement } from './compiled-query.js';
import { finishMessage, insertAfterHead } from './message-writes.js';
import type { Database, MessageStatus, MessagesTable } from './schema.js';
import type { WriteBatcher } from './write-batch.js';

/** A stored message. */
export type Message = Selectable<MessagesTable>;

/** The columns of a message a run's upstream context is built from ({@link MessageRepository.history}). */
export const HISTORY_COLUMNS = ['id', 'role', 'content', 'status', 'model', 'provider_metadata', 'parts'] as const;

/** A message as {@link MessageRepository.history} reads it: only what an upstream request needs. */
export type HistoryMessage = Pick<Message, (typeof HISTORY_COLUMNS)[number]>;

/** How an assistant message ended. */
export interface MessageOutcome {
  status: Exclude<MessageStatus, 'streaming'>;
  content: string;
  reasoning: string;
  finish_reason: string | null;
  usage: Usage | null;
  error?: { code: string; message: string };
  /** What the provider attached to the answer, to be sent back on later turns. */
  providerMetadata?: ProviderMetadata;
  /** Who answered: the provider always, and for a fallback run the target's model, which replaces the alias. */
  served?: { provider: string; model?: string };
}

/**
 * The provider metadata stored with a message, parsed; undefined when there is
 * none or the stored text is not a JSON object (a row is never worth failing a turn over).
 */
export function providerMetadataOf(message: Pick<Message, 'provider_metadata'>): ProviderMetadata | undefined {
  if (message.provider_metadata === null) return undefined;
  try {
    const value: unknown = JSON.parse(message.provider_metadata);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as ProviderMetadata) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The content parts stored with a message (its attachments, in order), parsed;
 * undefined for a text-only message or unreadable stored text.
 */
export function partsOf(message: Pick<Message, 'parts'>): ContentPart[] | undefined {
  if (message.parts === null) return undefined;
  try {
    const value: unknown = JSON.parse(message.parts);
    return Array.isArray(value) ? (value as ContentPart[]) : undefined;
  } catch {
    return undefined;
  }
}

/** A run's context: see {@link MessageRepository.history}. */
const historyStatement = new CompiledStatement<{ conversation_id: string; limit: number }, HistoryMessage>(['conversation_id', 'limit'], (database, params) =>
  database
    .selectFrom('messages')
    .select(HISTORY_COLUMNS)
    .where('conversation_id', '=', params.conversation_id)
    .where('active', '=', 1)
    .orderBy('id', 'desc')
    .limit(params.limit),
);

/** The partial text of an answer still streaming: see {@link MessageRepository.checkpoint}. */
const checkpointStatement = new CompiledStatement<{ id: string; content: string; reasoning: string | null; updated_at: string }, unknown>(
  ['id', 'content', 'reasoning', 'updated_at'],
  (database, { id, ...columns }) => database.updateTable('messages').set(columns).where('id', '=', id).where('status', '=', 'streaming'),
);

/** Repository of messages. */
export class MessageRepository {
  /** `writes` group-commits the writes on a turn's path (user message, checkpoints) with other runs' writes. */
  constructor(
    private readonly database: Kysely<Database>,
    private readonly writes: WriteBatcher,
  ) {}

  /** Messages on the active branch, oldest first; `limit` keeps the newest ones. */
  async listActive(conversationId: string, limit?: number): Promise<Message[]> {
    let query = this.database
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('active', '=', 1)
      .orderBy('id', 'desc');
    if (limit !== undefined) query = query.limit(limit);
    return (await query.execute()).reverse();
  }

  /**
   * The newest `limit` messages of the active branch, oldest first, with only
   * the {@link HISTORY_COLUMNS} a run's context needs: every turn reads its
   * history, and materialising all 25 columns of 20 rows cost better-sqlite3
   * ~3x the 7 needed (measured on a bench session of 474 messages: 143 µs vs 45 µs;
   * the index search itself is ~15 µs).
   */
  async history(conversationId: string, limit: number): Promise<HistoryMessage[]> {
    const { rows } = await historyStatement.execute(this.database, { conversation_id: conversationId, limit });
    return rows.reverse();
  }

  /** One message of a conversation. */
  async get(conversationId: string, id: string): Promise<Message | undefined> {
    return this.database
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** Newest message on the active branch (the parent of the next one). */
  async head(conversationId: string): Promise<Message | undefined> {
    return this.database
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('active', '=', 1)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /**
   * Appends a complete message (user or system) after the current head. One
   * statement: the INSERT finds its parent itself (see `insertAfterHead` in message-writes.ts),
   * where a separate head read cost a statement and left a gap between the two.
   */
  async append(
    conversationId: string,
    role: 'user' | 'system' | 'assistant',
    content: string,
    model: string | null = null,
    parts?: readonly ContentPart[],
  ): Promise<Message> {
    const now = new Date().toISOString();
    const row = { ...messageRow(conversationId, null, role, 'complete', content, model, null, now), parts: parts === undefined ? null : JSON.stringify(parts) };
    const parentId = await this.writes.run((database) => insertAfterHead(database, row), { single: true });
    return { ...row, parent_id: parentId, active: 1 };
  }

  /**
   * Creates the `streaming` assistant message of a run. With `parentId` it
   * becomes a new sibling branch: the messages after that parent leave the
   * active branch but are kept.
   */
  async createAssistant(conversationId: string, model: string, runId: string, parentId?: string): Promise<Message> {
    return this.database.transaction().execute((transaction) => insertAssistant(transaction, { conversationId, model, runId, parentId }));
  }

  /** Writes the final state of a run's assistant message. */
  async finish(id: string, outcome: MessageOutcome): Promise<void> {
    await finishMessage(this.database, id, outcome);
  }

  /**
   * Saves the partial text of an answer still streaming; a no-op once the
   * message has its final state, so a late checkpoint can never undo it.
   */
  async checkpoint(id: string, content: string, reasoning: string): Promise<void> {
    const updatedAt = new Date().toISOString();
    const values = { id, content, reasoning: reasoning === '' ? null : reasoning, updated_at: updatedAt };
    await this.writes.run((database) => checkpointStatement.execute(database, values), { single: true });
  }

  /**
   * Every message, on any branch, whose parent is one of `parentIds`, oldest
   * first: the siblings among which a client switches answers.
   */
  async children(conversationId: string, parentIds: readonly string[]): Promise<Message[]> {
    if (parentIds.length === 0) return [];
    return this.database
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('parent_id', 'in', [...parentIds])
      .orderBy('id', 'asc')
      .execute();
  }

  /**
   * Makes `messageId` and its newest descendants the active branch from its
   * parent on; what was active after the parent leaves it (and stays
   * stored). Returns false when the message is not in the conversation.
   */
  async activateBranch(conversationId: string, messageId: string): Promise<boolean> {
    return this.database.transaction().execute(async (transaction) => {
      const all = await transaction
        .selectFrom('messages')
        .select(['id', 'parent_id'])
        .where('conversation_id', '=', conversationId)
        .orderBy('id', 'asc')
        .execute();
      const target = all.find((message) => message.id === messageId);
      if (target === undefined) return false;
      const branch: string[] = [];
      for (let current: string | undefined = target.id; current !== undefined; ) {
        branch.push(current);
        const parent: string = current;
        current = all.filter((message) => message.parent_id === parent).at(-1)?.id;
      }
      let after = transaction.updateTable('messages').set({ active: 0 }).where('conversation_id', '=', conversationId);
      if (target.parent_id !== null) after = after.where('id', '>', target.parent_id);
      await after.execute();
      await transaction.updateTable('messages').set({ active: 1 }).where('conversation_id', '=', conversationId).where('id', 'in', branch).execute();
      return true;
    });
  }

  /** Deletes a conversation's messages (seed "clear history"); returns how many. */
  async clear(conversationId: string): Promise<number> {
    const result = await this.database.deleteFrom('messages').where('conversation_id', '=', conversationId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /**
   * Marks `interrupted` the messages still `streaming` whose run no longer
   * streams: runs recovery interrupted, and any left by a crash before their
   * run row was written. A message of a live run (of any instance) is never
   * touched. Returns how many were marked.
   */
  async markOrphansInterrupted(): Promise<number> {
    const result = await this.database
      .updateTable('messages')
      .set({ status: 'interrupted', error_code: 'interrupted', error_message: 'The server stopped before the answer completed.' })
      .where('status', '=', 'streaming')
      .where((builder) =>
        builder.not(builder.exists(builder.selectFrom('runs').select('runs.id').whereRef('runs.id', '=', 'messages.run_id').where('runs.status', '=', 'streaming'))),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}

function messageRow(
  conversationId: string,
  parentId: string | null,
  role: Message['role'],
  status: MessageStatus,
  content: string,
  model: string | null,
  runId: string | null,
  now: string,
): Omit<Message, 'active'> {
  return {
    id: uuidv7(),
    conversation_id: conversationId,
    parent_id: parentId,
    role,
    content,
    reasoning: null,
    model,
    status,
    finish_reason: null,
    prompt_tokens: null,
    completion_tokens: null,
    reasoning_tokens: null,
    cached_tokens: null,
    cache_hit: null,
    saved_tokens: null,
    cost_usd: null,
    error_code: null,
    error_message: null,
    run_id: runId,
    provider_metadata: null,
    provider: null,
    parts: null,
    created_at: now,
    updated_at: now,
  };
}

/**
 * Inserts the `streaming` assistant message of run `runId` after the
 * conversation's head, or as a new branch under `parentId` (the messages after
 * it leave the active branch). Call inside a transaction.
 */
export async function insertAssistant(
  transaction: Kysely<Database>,
  answer: { conversationId: string; model: string; runId: string; parentId?: string },
): Promise<Message> {
  const { conversationId, parentId } = answer;
  const row = messageRow(conversationId, parentId ?? null, 'assistant', 'streaming', '', answer.model, answer.runId, new Date().toISOString());
  if (parentId === undefined) return { ...row, parent_id: await insertAfterHead(transaction, row), active: 1 };
  await transaction.updateTable('messages').set({ active: 0 }).where('conversation_id', '=', conversationId).where('id', '>', parentId).execute();
  await transaction.insertInto('messages').values(row).execute();
  return { ...row, active: 1 };
}
