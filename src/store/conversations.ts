/**
 * Conversations, always scoped to their owner: every read and write takes the
 * owner id, so one tenant can never see or touch another's rows (a miss is
 * indistinguishable from "does not exist").
 */
import type { Kysely, Selectable } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { CompiledStatement } from './compiled-query.js';
import type { ConversationsTable, Database } from './schema.js';
import type { WriteBatcher } from './write-batch.js';

/** A stored conversation. */
export type Conversation = Selectable<ConversationsTable>;

/** A conversation with the number of messages on its active branch. */
export type ConversationSummary = Conversation & { message_count: number };

/** Fields a caller may set when creating or updating. */
export interface ConversationFields {
  external_id?: string | null;
  title?: string | null;
  default_model?: string | null;
  persona?: string | null;
  system_prompt?: string | null;
}

/** The columns {@link ConversationRepository.update} may change. */
const UPDATABLE_FIELDS = ['external_id', 'title', 'default_model', 'persona', 'system_prompt'] as const satisfies readonly (keyof ConversationFields)[];

/** The owner's conversation by id: read on every turn's ownership check. */
const getStatement = new CompiledStatement<{ id: string; owner_id: string }, Conversation>(['id', 'owner_id'], (database, params) =>
  database.selectFrom('conversations').selectAll().where('id', '=', params.id).where('owner_id', '=', params.owner_id),
);

/** The owner's conversation by a seed's `user_id` / `session_id`: read on every seed turn. */
const byExternalIdStatement = new CompiledStatement<{ owner_id: string; external_id: string }, Conversation>(['owner_id', 'external_id'], (database, params) =>
  database.selectFrom('conversations').selectAll().where('owner_id', '=', params.owner_id).where('external_id', '=', params.external_id),
);

/** Repository of conversations. */
export class ConversationRepository {
  /** `writes` group-commits the writes on a turn's path (`updated_at`) with other runs' writes. */
  constructor(
    private readonly database: Kysely<Database>,
    private readonly writes: WriteBatcher,
  ) {}

  /** Creates a conversation owned by `ownerId`. */
  async create(ownerId: string, fields: ConversationFields = {}): Promise<Conversation> {
    const now = new Date().toISOString();
    const row: Conversation = {
      id: uuidv7(),
      owner_id: ownerId,
      external_id: fields.external_id ?? null,
      title: fields.title ?? null,
      default_model: fields.default_model ?? null,
      persona: fields.persona ?? null,
      system_prompt: fields.system_prompt ?? null,
      created_at: now,
      updated_at: now,
    };
    await this.database.insertInto('conversations').values(row).execute();
    return row;
  }

  /** The owner's conversation, or undefined (also when another owner has it). */
  async get(ownerId: string, id: string): Promise<Conversation | undefined> {
    return (await getStatement.execute(this.database, { id, owner_id: ownerId })).rows[0];
  }

  /** The owner's conversation for a seed `user_id` / `session_id`, created on first use. */
  async getOrCreateByExternalId(ownerId: string, externalId: string, fields: ConversationFields = {}): Promise<Conversation> {
    const found = await this.findByExternalId(ownerId, externalId);
    if (found !== undefined) return found;
    try {
      return await this.create(ownerId, { ...fields, external_id: externalId });
    } catch (error) {
      // Two first requests for one session raced; the unique index kept one.
      const winner = await this.findByExternalId(ownerId, externalId);
      if (winner !== undefined) return winner;
      throw error;
    }
  }

  /** The owner's conversation for an external id, if any. */
  async findByExternalId(ownerId: string, externalId: string): Promise<Conversation | undefined> {
    return (await byExternalIdStatement.execute(this.database, { owner_id: ownerId, external_id: externalId })).rows[0];
  }

  /** The owner's conversations, most recently updated first, with message counts. */
  async list(ownerId: string, limit = 100, offset = 0): Promise<ConversationSummary[]> {
    const rows = await this.database
      .selectFrom('conversations')
      .selectAll('conversations')
      .select((builder) =>
        builder
          .selectFrom('messages')
          .whereRef('messages.conversation_id', '=', 'conversations.id')
          .where('messages.active', '=', 1)
          .select(builder.fn.countAll<number>().as('count'))
          .as('message_count'),
      )
      .where('owner_id', '=', ownerId)
      .orderBy('updated_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .offset(offset)
      .execute();
    return rows.map((row) => ({ ...row, message_count: Number(row.message_count ?? 0) }));
  }

  /** Number of active messages in one conversation. */
  async messageCount(conversationId: string): Promise<number> {
    const row = await this.database
      .selectFrom('messages')
      .select((builder) => builder.fn.countAll<number>().as('count'))
      .where('conversation_id', '=', conversationId)
      .where('active', '=', 1)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** Applies `fields`; returns the updated row, or undefined when not the owner's. */
  async update(ownerId: string, id: string, fields: ConversationFields): Promise<Conversation | undefined> {
    // Only the settable columns: callers pass request bodies, and a stray
    // `owner_id` or `id` key must not move a row to another tenant.
    const settable: ConversationFields = {};
    for (const key of UPDATABLE_FIELDS) if (fields[key] !== undefined) settable[key] = fields[key];
    const result = await this.database
      .updateTable('conversations')
      .set({ ...settable, updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .where('owner_id', '=', ownerId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n ? this.get(ownerId, id) : undefined;
  }

  /** Marks activity so listings sort by it. */
  async touch(id: string): Promise<void> {
    const updatedAt = new Date().toISOString();
    await this.writes.run((database) => touchConversation(database, id, updatedAt), { single: true });
  }

  /** Deletes a conversation and (by cascade) its messages; false when not the owner's. */
  async delete(ownerId: string, id: string): Promise<boolean> {
    // Messages first: SQLite enforces the cascade only with foreign_keys on, and
    // deleting explicitly keeps the behaviour identical on every database.
    const conversation = await this.get(ownerId, id);
    if (conversation === undefined) return false;
    await this.database.transaction().execute(async (transaction) => {
      await transaction.deleteFrom('messages').where('conversation_id', '=', id).execute();
      await transaction.deleteFrom('conversations').where('id', '=', id).execute();
    });
    return true;
  }

  /** Totals for the status route: conversations and messages, of one owner. */
  async totals(ownerId: string): Promise<{ conversations: number; messages: number }> {
    const conversations = await this.database
      .selectFrom('conversations')
      .select((builder) => builder.fn.countAll<number>().as('count'))
      .where('owner_id', '=', ownerId)
      .executeTakeFirstOrThrow();
    const messages = await this.database
      .selectFrom('messages')
      .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
      .select((builder) => builder.fn.countAll<number>().as('count'))
      .where('conversations.owner_id', '=', ownerId)
      .where('messages.active', '=', 1)
      .executeTakeFirstOrThrow();
    return { conversations: Number(conversations.count), messages: Number(messages.count) };
  }
}

/**
 * Sets a conversation's `updated_at` (ISO 8601) on `database`, which may be a
 * transaction: listings sort by it. One statement.
 */
export async function touchConversation(database: Kysely<Database>, id: string, updatedAt: string): Promise<void> {
  await touchStatement.execute(database, { id, updated_at: updatedAt });
}

const touchStatement = new CompiledStatement<{ id: string; updated_at: string }, unknown>(['id', 'updated_at'], (database, params) =>
  database.updateTable('conversations').set({ updated_at: params.updated_at }).where('id', '=', params.id),
);
