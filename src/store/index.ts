/**
 * The store: conversations, messages and runs behind one object, opened once
 * at startup and passed down.
 */
import type { Kysely } from 'kysely';
import { ConversationRepository } from './conversations.js';
import { openDatabase, type DatabaseLocation } from './database.js';
import { MessageRepository } from './messages.js';
import { RunRepository } from './runs.js';
import type { Database } from './schema.js';

export type { Conversation, ConversationSummary, ConversationFields } from './conversations.js';
export type { Message, MessageOutcome } from './messages.js';
export type { RunRecord } from './runs.js';
export type { MessageStatus, RunStatus } from './schema.js';

/** All repositories over one database connection. */
export class Store {
  readonly conversations: ConversationRepository;
  readonly messages: MessageRepository;
  readonly runs: RunRepository;

  private constructor(readonly database: Kysely<Database>) {
    this.conversations = new ConversationRepository(database);
    this.messages = new MessageRepository(database);
    this.runs = new RunRepository(database);
  }

  /**
   * Opens (and migrates) the database, then marks whatever a crash left
   * `streaming` as `interrupted`.
   */
  static async open(location: DatabaseLocation): Promise<Store> {
    const store = new Store(await openDatabase(location));
    await store.messages.markStreamingInterrupted();
    await store.runs.markStreamingInterrupted();
    return store;
  }

  /** Whether the database answers a trivial query. */
  async ping(): Promise<boolean> {
    try {
      await this.database.selectFrom('runs').select('id').limit(1).execute();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.database.destroy();
  }
}
