/**
 * Chats whose id the client chooses (the AI SDK's `useChat` sends one with
 * every request): the id names a conversation of the calling key, either a
 * conversation id of that key or an external id created on first use, like
 * the seeds' session ids. Sending, regenerating, resuming, stopping and
 * switching between sibling answers all go through here.
 */
import type { ContentPart } from '../providers/types.js';
import { ParleyError } from '../errors.js';
import type { TerminalEvent } from '../runs/events.js';
import type { Conversation, Message, Store } from '../store/index.js';
import type { ChatService, GenerationOptions, Turn } from './chat.js';
import type { RunHandle, RunService } from './runs.js';

/** How long after its end the latest answer is still offered for resume, seconds. */
export const RESUME_FINISHED_WINDOW_SECONDS = 60;

/** Who asks, about which chat. */
export interface ChatRef {
  ownerId: string;
  chatId: string;
}

/** A message of the active branch with the answers it could be switched to. */
export interface BranchMessage extends Message {
  /** For an assistant answer: ids of it and its sibling answers (same parent), oldest first. */
  siblings: string[];
}

/** Client-id chats over the chat service. */
export class ClientChatService {
  constructor(
    private readonly store: Store,
    private readonly runs: RunService,
    private readonly chat: ChatService,
  ) {}

  /**
   * The chat's conversation: the owner's conversation with that id, else the
   * one with that external id (created when `create`).
   */
  async conversation(reference: ChatRef, create: true): Promise<Conversation>;
  async conversation(reference: ChatRef, create: false): Promise<Conversation | undefined>;
  async conversation(reference: ChatRef, create: boolean): Promise<Conversation | undefined> {
    const own = await this.store.conversations.get(reference.ownerId, reference.chatId);
    if (own !== undefined) return own;
    if (create) return this.chat.conversationFor(reference.ownerId, reference.chatId);
    return this.store.conversations.findByExternalId(reference.ownerId, reference.chatId);
  }

  private async existing(reference: ChatRef): Promise<Conversation> {
    const conversation = await this.conversation(reference, false);
    if (conversation === undefined) throw new ParleyError('conversation_not_found', `Chat ${reference.chatId} was not found.`, { param: 'id' });
    return conversation;
  }

  /**
   * Stores the user's text (and attachments: `parts`, the message's content in
   * order, text included; `partParam` names them in errors) in the chat and starts the answer.
   * @throws ParleyError `conflict` while an answer streams in the chat; those of ChatService.startTurnIn.
   */
  async send(
    request: ChatRef & {
      text: string;
      parts?: ContentPart[];
      partParam?: (index: number) => string;
      model?: string;
      persona?: string;
      surface: string;
      requestId?: string;
      options?: GenerationOptions;
    },
  ): Promise<Turn> {
    let conversation = await this.conversation(request, true);
    // A chat the client named has no title yet: its first message gives one for listings.
    if (conversation.title === null) conversation = (await this.store.conversations.update(request.ownerId, conversation.id, { title: request.text.slice(0, 80) })) ?? conversation;
    return this.chat.startTurnIn({
      ownerId: request.ownerId,
      conversation,
      surface: request.surface,
      requestId: request.requestId,
      model: request.model,
      persona: request.persona,
      options: request.options,
      messages: [{ role: 'user', content: request.text, ...(request.parts === undefined ? {} : { parts: request.parts }) }],
      ...(request.partParam === undefined ? {} : { partParam: request.partParam }),
    });
  }

  /**
   * Answers again as a sibling of `messageId` (an assistant answer; default the latest).
   * @throws ParleyError `conversation_not_found`, `message_not_found`, `conflict` while an answer streams.
   */
  async regenerate(request: ChatRef & { messageId?: string; model?: string; surface: string; requestId?: string }): Promise<RunHandle> {
    const conversation = await this.existing(request);
    return this.chat.regenerate({
      ownerId: request.ownerId,
      conversation,
      surface: request.surface,
      requestId: request.requestId,
      messageId: request.messageId,
      model: request.model,
    });
  }

  /**
   * The run a reconnecting client should read: the chat's running answer,
   * else its latest answer when that ended within
   * {@link RESUME_FINISHED_WINDOW_SECONDS} and its events are still logged.
   * Undefined when there is nothing to resume (also for an unknown chat).
   */
  async resumable(reference: ChatRef): Promise<string | undefined> {
    const conversation = await this.conversation(reference, false);
    if (conversation === undefined) return undefined;
    const active = await this.runs.activeRun(conversation.id);
    if (active !== undefined) return active.runId;
    const head = await this.store.messages.head(conversation.id);
    if (head?.role !== 'assistant' || head.run_id === null || !(await this.runs.held(head.run_id))) return undefined;
    const run = await this.store.runs.get(reference.ownerId, head.run_id);
    const endedAt = run?.completed_at === null || run === undefined ? undefined : Date.parse(run.completed_at);
    if (endedAt !== undefined && Date.now() - endedAt > RESUME_FINISHED_WINDOW_SECONDS * 1000) return undefined;
    return head.run_id;
  }

  /**
   * Stops the chat's running answer (its partial text is stored as
   * `cancelled`). Resolves with the terminal event, or undefined when no
   * answer was running.
   * @throws ParleyError `conversation_not_found`.
   */
  async stop(reference: ChatRef): Promise<TerminalEvent | undefined> {
    const conversation = await this.existing(reference);
    const active = await this.runs.activeRun(conversation.id);
    return active === undefined ? undefined : this.runs.cancel(reference.ownerId, active.runId);
  }

  /**
   * The chat's active branch, oldest first, each answer with its siblings.
   * @throws ParleyError `conversation_not_found`.
   */
  async history(reference: ChatRef): Promise<{ conversation: Conversation; messages: BranchMessage[] }> {
    const conversation = await this.existing(reference);
    const messages = await this.store.messages.listActive(conversation.id);
    const parents = messages.filter((message) => message.role === 'assistant' && message.parent_id !== null).map((message) => message.parent_id!);
    const children = await this.store.messages.children(conversation.id, parents);
    return {
      conversation,
      messages: messages.map((message) => ({
        ...message,
        siblings:
          message.role === 'assistant' && message.parent_id !== null
            ? children.filter((child) => child.parent_id === message.parent_id && child.role === 'assistant').map((child) => child.id)
            : [],
      })),
    };
  }

  /**
   * Makes another answer (and what follows it) the chat's active branch, so
   * the next message continues from it.
   * @throws ParleyError `conversation_not_found`, `message_not_found` (not an answer of this chat),
   *   `conflict` while an answer streams.
   */
  async switchBranch(reference: ChatRef & { messageId: string }): Promise<{ conversation: Conversation; messages: BranchMessage[] }> {
    const conversation = await this.existing(reference);
    const claim = await this.runs.claimConversation(conversation.id);
    try {
      const target = await this.store.messages.get(conversation.id, reference.messageId);
      if (target?.role !== 'assistant' || !(await this.store.messages.activateBranch(conversation.id, target.id))) {
        throw new ParleyError('message_not_found', `No answer ${reference.messageId} in this chat.`, { param: 'messageId' });
      }
      await this.store.conversations.touch(conversation.id);
    } finally {
      await claim.release();
    }
    return this.history(reference);
  }
}
