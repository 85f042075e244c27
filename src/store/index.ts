/**
 * The store: conversations, messages and runs behind one object, opened once
 * at startup and passed down.
 */
import type { Kysely } from 'kysely';
import { ApiKeyRepository } from './api-keys.js';
import { ConversationRepository, touchConversation } from './conversations.js';
import { openDatabase, sqliteCheckpointStats, type DatabaseLocation } from './database.js';
import type { SqliteCheckpointStats } from './sqlite-checkpoint.js';
export { databaseLocation, type DatabaseLocation } from './database.js';
export type { SqliteCheckpointStats } from './sqlite-checkpoint.js';
import { finishMessage } from './message-writes.js';
import { insertAssistant, MessageRepository, type Message, type MessageOutcome } from './messages.js';
import { ResponseRepository } from './responses.js';
import { finishRunRow, insertRun, RunRepository, type NewRun, type RunOutcome } from './runs.js';
import type { Database } from './schema.js';
import { WriteBatcher } from './write-batch.js';

export type { ActiveApiKey, ApiKeyRecord, IssuedApiKey } from './api-keys.js';
export type { Conversation, ConversationSummary, ConversationFields } from './conversations.js';
export type { HistoryMessage, Message, MessageOutcome } from './messages.js';
export { partsOf, providerMetadataOf } from './messages.js';
export type { StoredResponse } from './responses.js';
export { TASK_SURFACES } from './runs.js';
export type { NewRun, RecoveredRun, RunOutcome, RunRecord, TaskRunRecord, UsageRange, UsageReport, UsageTotals } from './runs.js';
export type { MessageStatus, RunStatus } from './schema.js';

/** All repositories over one database connection. */
export class Store {
  readonly conversations: ConversationRepository;
  readonly messages: MessageRepository;
  readonly runs: RunRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly responses: ResponseRepository;
  /** Group commit of the per-run writes (see write-batch.ts). */
  private readonly writes: WriteBatcher;

  private constructor(
    readonly database: Kysely<Database>,
    private readonly counter: StatementCounter,
  ) {
    this.writes = new WriteBatcher(database);
    this.conversations = new ConversationRepository(database, this.writes);
    this.messages = new MessageRepository(database, this.writes);
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
    const counter = new StatementCounter();
    return new Store(await openDatabase(location, (sql) => counter.count(sql)), counter);
  }

  /** SQL statements executed since the store opened (migrations, BEGIN and COMMIT included): a cost gauge for tests and benchmarks. */
  get statements(): number {
    return this.counter.statements;
  }

  /**
   * The SQLite checkpoint worker's figures (checkpoints run, WAL size in
   * bytes); undefined on PostgreSQL, which has no WAL of Parley's to watch.
   */
  get walCheckpoints(): SqliteCheckpointStats | undefined {
    return sqliteCheckpointStats(this.database);
  }

  /**
   * Commits since the store opened: COMMIT statements plus writes run in
   * autocommit mode. Exact on SQLite (one connection, statements in order);
   * an estimate on PostgreSQL, whose connections interleave.
   */
  get commits(): number {
    return this.counter.commits;
  }

  /**
   * Records a new `streaming` run and, when it answers in a conversation, its
   * `streaming` assistant message and the conversation's `updated_at` (a new
   * answer is activity, so a turn needs no separate touch write), in one
   * transaction: a message never exists without the run (and lease) that
   * writes it. Returns the message once committed. Group-committed with the
   * other runs' writes of this event-loop turn.
   */
  async beginRun(run: Omit<NewRun, 'message_id'>, answer?: { conversationId: string; model: string; parentId?: string }): Promise<Message | undefined> {
    if (answer === undefined) {
      await this.writes.run((database) => insertRun(database, { ...run, message_id: null }), { single: true });
      return undefined;
    }
    return this.writes.run(async (transaction) => {
      const message = await insertAssistant(transaction, { ...answer, runId: run.id });
      await touchConversation(transaction, answer.conversationId, message.created_at);
      await insertRun(transaction, { ...run, message_id: message.id });
      return message;
    });
  }

  /**
   * Records how a run ended and, when it answered in a conversation, its
   * message's final state and the conversation's `updated_at`, in one
   * transaction (message and run never disagree), group-committed with the
   * other runs' writes of this event-loop turn. Resolves once committed.
   */
  async finishRun(runId: string, outcome: RunOutcome, answer?: { messageId: string; conversationId: string | null; outcome: MessageOutcome }): Promise<void> {
    if (answer === undefined) {
      await this.writes.run((database) => finishRunRow(database, runId, outcome), { single: true });
      return;
    }
    await this.writes.run(async (transaction) => {
      await finishMessage(transaction, answer.messageId, answer.outcome);
      if (answer.conversationId !== null) await touchConversation(transaction, answer.conversationId, new Date().toISOString());
      await finishRunRow(transaction, runId, outcome);
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

  /** Closes the database once the writes already queued are committed. */
  async close(): Promise<void> {
    await this.writes.idle();
    await this.database.destroy();
  }
}

/** Counts statements and commits from the SQL the database executes. */
class StatementCounter {
  statements = 0;
  commits = 0;
  /** Whether a BEGIN is open (meaningful on one connection: SQLite). */
  private inTransaction = false;

  count(sql: string): void {
    this.statements += 1;
    const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase();
    if (verb === 'begin') this.inTransaction = true;
    else if (verb === 'commit' || verb === 'rollback') {
      this.inTransaction = false;
      if (verb === 'commit') this.commits += 1;
    } else if (!this.inTransaction && (verb === 'insert' || verb === 'update' || verb === 'delete')) this.commits += 1;
  }
}
