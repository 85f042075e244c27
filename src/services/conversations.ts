/**
 * Conversation records as every surface reads and changes them: create,
 * list, update and delete conversations, add and list messages, a seed
 * session's history and its clearing. Whatever a change must stop (an answer
 * still streaming into the conversation) it stops here, so no surface
 * re-implements "cancel, then delete".
 */
import type { ContentPart } from '../providers/types.js';
import { ParleyError } from '../errors.js';
import type { ContentFilter } from '../runs/content-filter.js';
import type { Conversation, ConversationFields, ConversationSummary, Message, Store } from '../store/index.js';
import type { RunService } from './runs.js';

/** A seed session's history: its conversation (none before first use) and active messages, oldest first. */
export interface SessionHistory {
  conversation: Conversation | undefined;
  messages: Message[];
}

function notFound(conversationId: string): ParleyError {
  return new ParleyError('conversation_not_found', `Conversation ${conversationId} was not found.`, { param: 'conversation_id' });
}

/** Conversation records over the store, with the runs writing into them. */
export class ConversationService {
  constructor(
    protected readonly store: Store,
    protected readonly runs: RunService,
    private readonly defaults: { defaultModel: () => string },
    protected readonly contentFilter?: ContentFilter,
  ) {}

  /**
   * The owner's conversation.
   * @throws ParleyError `conversation_not_found` when missing or another owner's.
   */
  async conversation(ownerId: string, conversationId: string): Promise<Conversation> {
    const conversation = await this.store.conversations.get(ownerId, conversationId);
    if (conversation === undefined) throw notFound(conversationId);
    return conversation;
  }

  /**
   * The owner's conversation for a seed `user_id` / `session_id`, created on
   * first use, so every surface shares one history per id.
   */
  async conversationFor(ownerId: string, externalId: string, fields: ConversationFields = {}): Promise<Conversation> {
    return this.store.conversations.getOrCreateByExternalId(ownerId, externalId, fields);
  }

  /** The owner's conversations, most recently updated first, with message counts. */
  listConversations(ownerId: string, limit?: number, offset?: number): Promise<ConversationSummary[]> {
    return this.store.conversations.list(ownerId, limit, offset);
  }

  /** Number of messages on a conversation's active branch. */
  messageCount(conversation: Conversation): Promise<number> {
    return this.store.conversations.messageCount(conversation.id);
  }

  /** The owner's totals: conversations and active messages. */
  totals(ownerId: string): Promise<{ conversations: number; messages: number }> {
    return this.store.conversations.totals(ownerId);
  }

  /**
   * Creates a conversation; without `default_model` it gets the configured
   * default. A client's `system_prompt` reaches the model, so it passes the
   * content filter like a message does.
   * @throws ParleyError `content_filtered` / `moderation_unavailable` (nothing is stored).
   */
  async createConversation(ownerId: string, fields: ConversationFields): Promise<Conversation> {
    await this.screenSystemPrompt(fields);
    return this.store.conversations.create(ownerId, { ...fields, default_model: fields.default_model ?? this.defaults.defaultModel() });
  }

  /**
   * Updates the owner's conversation; the system prompt is screened as on create.
   * @throws ParleyError `conversation_not_found`, `content_filtered` / `moderation_unavailable`.
   */
  async updateConversation(ownerId: string, conversationId: string, fields: ConversationFields): Promise<Conversation> {
    await this.screenSystemPrompt(fields);
    const updated = await this.store.conversations.update(ownerId, conversationId, fields);
    if (updated === undefined) throw notFound(conversationId);
    return updated;
  }

  /**
   * Deletes the owner's conversation and its messages, first cancelling an
   * answer still streaming into it (wherever it runs).
   * @throws ParleyError `conversation_not_found`.
   */
  async deleteConversation(ownerId: string, conversationId: string): Promise<void> {
    await this.cancelActive(ownerId, conversationId);
    if (!(await this.store.conversations.delete(ownerId, conversationId))) {
      throw new ParleyError('conversation_not_found', `Conversation ${conversationId} was not found.`);
    }
  }

  /**
   * The messages on the active branch of the owner's conversation, oldest first.
   * @throws ParleyError `conversation_not_found`.
   */
  async messages(ownerId: string, conversationId: string): Promise<{ conversation: Conversation; messages: Message[] }> {
    const conversation = await this.conversation(ownerId, conversationId);
    return { conversation, messages: await this.store.messages.listActive(conversation.id) };
  }

  /**
   * Adds a user message to the owner's conversation for a later stream to
   * answer, with its attachments (stored with it, sent before its text).
   * @throws ParleyError `conversation_not_found`; `conflict` while an answer
   *   is starting or streaming in it (on any instance); `content_filtered` /
   *   `moderation_unavailable`; for attachments, `payload_too_large` or
   *   `validation_failed` when the model's providers take none of their kind
   *   (`param` `attachments.N`; nothing is stored).
   */
  async addMessage(ownerId: string, conversationId: string, content: string, model?: string | null, attachments: readonly ContentPart[] = []): Promise<Message> {
    const conversation = await this.conversation(ownerId, conversationId);
    const claim = await this.runs.claimConversation(conversation.id);
    try {
      if (attachments.length === 0) return await this.addUserMessage(conversation, content, model);
      const parts: ContentPart[] = [...attachments, { type: 'text', text: content }];
      this.runs.checkModel(model ?? conversation.default_model, [{ role: 'user', content, parts }], () => 'attachments');
      return await this.addUserMessage(conversation, content, model, parts);
    } finally {
      await claim.release();
    }
  }

  /** A seed session's history; reading never creates the conversation. */
  async history(ownerId: string, externalId: string): Promise<SessionHistory> {
    const conversation = await this.store.conversations.findByExternalId(ownerId, externalId);
    return { conversation, messages: conversation === undefined ? [] : await this.store.messages.listActive(conversation.id) };
  }

  /**
   * Deletes the messages of a seed session's conversation (a seed's "clear
   * history"), cancelling an answer still streaming into it. Returns how many
   * were deleted; 0 for a session never used.
   */
  async clearHistory(ownerId: string, externalId: string): Promise<number> {
    const conversation = await this.store.conversations.findByExternalId(ownerId, externalId);
    if (conversation === undefined) return 0;
    await this.cancelActive(ownerId, conversation.id);
    const deleted = await this.store.messages.clear(conversation.id);
    await this.store.conversations.touch(conversation.id);
    return deleted;
  }

  /** The seed session (`external_id`) of the conversation the owner's run wrote, or null. */
  async sessionOfRun(ownerId: string, runId: string): Promise<string | null> {
    const run = await this.runs.get(ownerId, runId);
    if (run?.conversation_id === null || run === undefined) return null;
    return (await this.store.conversations.get(ownerId, run.conversation_id))?.external_id ?? null;
  }

  /**
   * Stores a user message; `model` records a per-message model override.
   * @throws ParleyError `shutting_down` while the server drains (no answer
   *   could follow the message, so it is not stored); `content_filtered` /
   *   `moderation_unavailable` from the content filter (nothing is stored).
   */
  protected async addUserMessage(conversation: Conversation, content: string, model?: string | null, parts?: readonly ContentPart[]): Promise<Message> {
    if (this.runs.draining) throw new ParleyError('shutting_down', 'The server is shutting down; retry shortly.');
    await this.contentFilter?.check([content]);
    const message = await this.store.messages.append(conversation.id, 'user', content, model ?? null, parts);
    await this.store.conversations.touch(conversation.id);
    return message;
  }

  private async cancelActive(ownerId: string, conversationId: string): Promise<void> {
    const active = await this.runs.activeRun(conversationId);
    if (active !== undefined) await this.runs.cancel(ownerId, active.runId);
  }

  private async screenSystemPrompt(fields: ConversationFields): Promise<void> {
    if (typeof fields.system_prompt === 'string' && fields.system_prompt !== '') await this.contentFilter?.check([fields.system_prompt], 'system_prompt');
  }
}

/** A stored message's content parts (its attachments in order), for views; see the store's `partsOf`. */
export { partsOf } from '../store/index.js';
