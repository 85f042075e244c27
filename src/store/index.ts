/**
 * The store: conversations, messages and runs behind one object, opened once
 * at startup and passed down.
 */
import type { Kysely } from 'kysely';
import { ApiKeyRepository } from './api-keys.js';
import { ConversationRepository } from './conversations.js';
import { openDatabase, type DatabaseLocation } from './database.js';
export { databaseLocation, type DatabaseLocation } from './database.js';
import { insertAssistant, MessageRepository, type Message } from './messages.js';
import { ResponseRepository } from './responses.js';
import { insertRun, RunRepository, type NewRun } from './runs.js';
import type { Database } from './schema.js';

export type { ActiveApiKey, ApiKeyRecord, IssuedApiKey } from './api-keys.js';
export type { Conversation, ConversationSummary, ConversationFields } from './conversations.js';
export type { Message, MessageOutcome } from './messages.js';
export { partsOf, providerMetadataOf } from './messages.js';
export type { StoredResponse } from './responses.js';
export { TASK_SURFACES } from './runs.js';
export type { NewRun, RecoveredRun, RunRecord, TaskRunRecord, UsageRange, UsageReport, UsageTotals } from './runs.js';
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
   * Opens (and migrates) the database. Nothing is recovered here: runs left
   * `streaming` belong to instances that may still be running them, and only
   * lease recovery (src/runs/leases.ts) may interrupt them.
   * @throws Error when the database cannot be opened or a migration fails.
   */
  static async open(location: DatabaseLocation): Promise<Store> {
    return new Store(await openDatabase(location));
  }

  /**
   * Records a new `streaming` run and, when it answers in a conversation, its
   * `streaming` assistant message, in one transaction: a message never exists
   * without the run (and lease) that writes it. Returns the message.
   */
  async beginRun(run: Omit<NewRun, 'message_id'>, answer?: { conversationId: string; model: string; parentId?: string }): Promise<Message | undefined> {
    if (answer === undefined) {
      await insertRun(this.database, { ...run, message_id: null });
      return undefined;
    }
    return this.database.transaction().execute(async (transaction) => {
      const message = await insertAssistant(transaction, { ...answer, runId: run.id });
      await insertRun(transaction, { ...run, message_id: message.id });
      return message;
    });
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
