/**
 * The store: conversations, messages and runs behind one object, opened once
 * at startup and passed down.
 */
import type { Kysely } from 'kysely';
import { ApiKeyRepository } from './api-keys.js';
import { ConversationRepository } from './conversations.js';
import { openDatabase, type DatabaseLocation } from './database.js';
import { MessageRepository } from './messages.js';
import { ResponseRepository } from './responses.js';
import { RunRepository } from './runs.js';
import type { Database } from './schema.js';

export type { ActiveApiKey, ApiKeyRecord, IssuedApiKey } from './api-keys.js';
export type { Conversation, ConversationSummary, ConversationFields } from './conversations.js';
export type { Message, MessageOutcome } from './messages.js';
export { providerMetadataOf } from './messages.js';
export type { RunRecord } from './runs.js';
export type { StoredResponse } from './responses.js';
export type { MessageStatus, RunStatus } from './schema.js';

/** All repositories over one database connection. */
export class Store {
  readonly conversations: ConversationRepository;
  readonly messages: MessageRepository;
  readonly runs: RunRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly responses: ResponseRepository;

  private constructor(readonly database: Kysely<Database>) {
    this.conversations = new ConversationRepository(database);
    this.messages = new MessageRepository(database);
    this.runs = new RunRepository(database);
    this.apiKeys = new ApiKeyRepository(database);
    this.responses = new ResponseRepository(database);
  }

  /**
   * Opens (and migrates) the database, then marks whatever a crash left
   * `streaming` as `interrupted`. Administrative commands (`parley keys`)
   * pass `recoverInterrupted: false`: a server may be streaming right now.
   */
  static async open(location: DatabaseLocation, options: { recoverInterrupted?: boolean } = {}): Promise<Store> {
    const store = new Store(await openDatabase(location));
    if (options.recoverInterrupted === false) return store;
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
