/**
 * Conversation-level operations every surface shares: storing the user's
 * message and starting a run that answers it with the conversation's system
 * prompt, bounded history and model choice. Surfaces call this; none of them
 * builds upstream requests or touches persistence themselves.
 */
import type { Config } from '../config/types.js';
import { ParleyError } from '../errors.js';
import type { GlobalDefaults, PersonaCatalog } from '../personas/catalog.js';
import type { ChatMessage, FunctionTool, ToolChoice } from '../providers/types.js';
import { providerMetadataOf, type Conversation, type ConversationFields, type Message, type Store } from '../store/index.js';
import type { ContentFilter } from './content-filter.js';
import type { RunHandle, RunManager } from './manager.js';
import { STRUCTURED_THINKING_PROMPT, type ThinkingMode } from './thinking/index.js';

/** Sampling settings a surface may pass through. */
export interface GenerationOptions {
  temperature?: number;
  max_tokens?: number;
  top_p?: number;
  /** Function tools the model may call, and whether it must (the provider contract's types). */
  tools?: FunctionTool[];
  tool_choice?: ToolChoice;
}

/** A request to answer the conversation's latest user message. */
export interface AnswerRequest {
  ownerId: string;
  conversation: Conversation;
  surface: string;
  /** Overrides, in priority order: this, the user message's `model`, the conversation's default. */
  model?: string | null;
  /** Regenerate: answer again as a sibling of the answers under this message. */
  parentMessageId?: string;
  options?: GenerationOptions;
  /** `X-Request-ID` of the request that asks, for the run's log lines. */
  requestId?: string;
  /** Thinking mode; `structured` adds the sections prompt. Default: the configured mode. */
  thinking?: ThinkingMode;
  /** Most stored messages sent upstream, for a surface whose seed documents its own bound. Default PARLEY_HISTORY_MESSAGES. */
  historyMessages?: number;
  /** Answer from / into the response cache (`RunSpec.cache`); only seed 002 asks for it. */
  cache?: boolean;
  /** System prompt of this run only, in place of the conversation's (OpenAI Responses `instructions`). */
  instructions?: string;
}

/**
 * One chat turn in the conversation a seed's `user_id` / `session_id` names:
 * the user's message and the run that answers it.
 */
export interface TurnRequest extends Omit<AnswerRequest, 'conversation' | 'model' | 'parentMessageId'> {
  /** The seed's `user_id` / `session_id`; its conversation is created on first use. */
  externalId: string;
  /** The user's text, already validated. */
  message: string;
  /** Per-message model override, stored on the user message. */
  model?: string | null;
  /** Persona to switch the conversation to (a name the caller validated). */
  persona?: string;
}

/** A turn in a known conversation: messages to store, then the run that answers the last one. */
export interface ConversationTurnRequest extends Omit<AnswerRequest, 'model' | 'parentMessageId'> {
  /** Stored in order; the last must be the user's. Texts already validated. */
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
  /** Per-message model override, stored on the last user message. */
  model?: string | null;
  /** Persona to switch the conversation to (a name the caller validated). */
  persona?: string;
}

/** A started turn. */
export interface Turn {
  conversation: Conversation;
  handle: RunHandle;
}

/** Shared conversation operations over the store and the run manager. */
export class ChatService {
  constructor(
    private readonly store: Store,
    private readonly runs: RunManager,
    private readonly config: Readonly<Config>,
    private readonly contentFilter?: ContentFilter,
    /** Personas; without them only the global SYSTEM_PROMPT / MODEL_NAME / MODEL_TEMPERATURE apply. */
    private readonly personas?: PersonaCatalog,
  ) {}

  /**
   * The owner's conversation.
   * @throws ParleyError `conversation_not_found` when missing or another owner's.
   */
  async conversation(ownerId: string, conversationId: string): Promise<Conversation> {
    const conversation = await this.store.conversations.get(ownerId, conversationId);
    if (conversation === undefined) {
      throw new ParleyError('conversation_not_found', `Conversation ${conversationId} was not found.`, { param: 'conversation_id' });
    }
    return conversation;
  }

  /**
   * The owner's conversation for a seed `user_id` / `session_id`, created on
   * first use, so every surface shares one history per id.
   */
  async conversationFor(ownerId: string, externalId: string, fields: ConversationFields = {}): Promise<Conversation> {
    return this.store.conversations.getOrCreateByExternalId(ownerId, externalId, fields);
  }

  /**
   * Stores the user's message in the external id's conversation and starts
   * the run that answers it: the turn every session-style surface (seeds 000,
   * 002, 003, 004) takes.
   * @throws ParleyError `conflict` while an answer still streams into that
   *   conversation (a second one would interleave with it; nothing is stored),
   *   and the errors of {@link answer}.
   */
  async startTurn(request: TurnRequest): Promise<Turn> {
    const { externalId, message, persona, ...answer } = request;
    const conversation = await this.conversationFor(request.ownerId, externalId, persona === undefined ? {} : { persona });
    return this.startTurnIn({ ...answer, conversation, persona, messages: [{ role: 'user', content: message }] });
  }

  /**
   * {@link startTurn} in a conversation the caller already resolved (by id or
   * external id): stores `messages` and starts the run answering the last.
   * @throws ParleyError `validation_failed` when the last message is not the user's; `conflict` while an
   *   answer streams into the conversation (nothing is stored); the errors of {@link answer}.
   */
  async startTurnIn(request: ConversationTurnRequest): Promise<Turn> {
    const { messages, model, persona, ...answer } = request;
    if (messages.at(-1)?.role !== 'user') throw new ParleyError('validation_failed', 'The last input message must be the user\'s.', { param: 'messages' });
    let { conversation } = request;
    const release = this.runs.claimConversation(conversation.id);
    try {
      // Refuse a bad model before the message is stored, not after.
      this.runs.checkModel(model ?? conversation.default_model);
      await this.contentFilter?.check(messages.map((message) => message.content));
      if (persona !== undefined && conversation.persona !== persona) {
        conversation = (await this.store.conversations.update(request.ownerId, conversation.id, { persona })) ?? conversation;
      }
      for (const [index, message] of messages.entries()) {
        const last = index === messages.length - 1;
        await this.store.messages.append(conversation.id, message.role, message.content, last ? (model ?? null) : null);
      }
      await this.store.conversations.touch(conversation.id);
      return { conversation, handle: await this.startAnswer({ ...answer, conversation }) };
    } finally {
      release();
    }
  }

  /**
   * Deletes a conversation's messages (a seed's "clear history"), cancelling
   * an answer still streaming into it. Returns how many were deleted.
   */
  async clearHistory(ownerId: string, conversation: Conversation): Promise<number> {
    const active = this.runs.activeForConversation(conversation.id);
    if (active !== undefined) await this.runs.cancel(ownerId, active.id);
    const deleted = await this.store.messages.clear(conversation.id);
    await this.store.conversations.touch(conversation.id);
    return deleted;
  }

  /**
   * Answers again: the new answer becomes a sibling branch of `messageId` (an
   * assistant message; default the latest), which stays stored but leaves the
   * active branch.
   * @throws ParleyError `message_not_found`, or `conflict` while an answer streams.
   */
  async regenerate(request: Omit<AnswerRequest, 'parentMessageId'> & { messageId?: string }): Promise<RunHandle> {
    const { conversation } = request;
    const target =
      request.messageId === undefined
        ? [...(await this.store.messages.listActive(conversation.id))].reverse().find((message) => message.role === 'assistant')
        : await this.store.messages.get(conversation.id, request.messageId);
    if (target === undefined || target.role !== 'assistant' || target.parent_id === null) {
      throw new ParleyError('message_not_found', 'No assistant answer to regenerate was found.', { param: 'message_id' });
    }
    return this.answer({ ...request, model: request.model ?? target.model, parentMessageId: target.parent_id });
  }

  /**
   * Creates a conversation. A client's `system_prompt` reaches the model, so
   * it passes the content filter like a message does.
   * @throws ParleyError `content_filtered` / `moderation_unavailable` (nothing is stored).
   */
  async createConversation(ownerId: string, fields: ConversationFields): Promise<Conversation> {
    await this.screenSystemPrompt(fields);
    return this.store.conversations.create(ownerId, fields);
  }

  /**
   * Updates the owner's conversation; the system prompt is screened as on create.
   * @throws ParleyError `conversation_not_found`, `content_filtered` / `moderation_unavailable`.
   */
  async updateConversation(ownerId: string, conversationId: string, fields: ConversationFields): Promise<Conversation> {
    await this.screenSystemPrompt(fields);
    const updated = await this.store.conversations.update(ownerId, conversationId, fields);
    if (updated === undefined) throw new ParleyError('conversation_not_found', `Conversation ${conversationId} was not found.`, { param: 'conversation_id' });
    return updated;
  }

  private async screenSystemPrompt(fields: ConversationFields): Promise<void> {
    if (typeof fields.system_prompt === 'string' && fields.system_prompt !== '') await this.contentFilter?.check([fields.system_prompt], 'system_prompt');
  }

  /**
   * Stores a user message; `model` records a per-message model override.
   * @throws ParleyError `shutting_down` while the server drains (no answer
   *   could follow the message, so it is not stored); `content_filtered` /
   *   `moderation_unavailable` from the content filter (nothing is stored).
   */
  async addUserMessage(conversation: Conversation, content: string, model?: string | null): Promise<Message> {
    if (this.runs.draining) throw new ParleyError('shutting_down', 'The server is shutting down; retry shortly.');
    await this.contentFilter?.check([content]);
    const message = await this.store.messages.append(conversation.id, 'user', content, model ?? null);
    await this.store.conversations.touch(conversation.id);
    return message;
  }

  /**
   * Starts a run answering the conversation: system prompt, then the newest
   * `historyMessages` complete messages up to the user's last one. The system
   * prompt is the conversation's own, else its persona's; the model and
   * temperature fall back to the persona's (see PersonaCatalog.settingsFor).
   * @throws ParleyError `validation_failed` when there is no user message to answer; `conflict` while
   *   another answer is starting or streaming in the conversation.
   */
  async answer(request: AnswerRequest): Promise<RunHandle> {
    const release = this.runs.claimConversation(request.conversation.id);
    try {
      return await this.startAnswer(request);
    } finally {
      release();
    }
  }

  /** {@link answer} for a caller that already holds the conversation's claim. */
  private async startAnswer(request: AnswerRequest): Promise<RunHandle> {
    const { conversation } = request;
    let history = await this.store.messages.listActive(conversation.id, request.historyMessages ?? this.config.historyMessages);
    if (request.parentMessageId !== undefined) {
      const cut = history.findIndex((message) => message.id === request.parentMessageId);
      if (cut >= 0) history = history.slice(0, cut + 1);
    }
    const lastUser = [...history].reverse().find((message) => message.role === 'user');
    if (lastUser === undefined || history.at(-1)?.role !== 'user') {
      throw new ParleyError('validation_failed', 'The conversation has no unanswered user message; send one first.', { param: 'message' });
    }
    const persona = this.personaSettings(conversation);
    const model = request.model ?? lastUser.model ?? conversation.default_model ?? persona.model;
    const thinking = request.thinking ?? this.config.thinking;
    const messages = this.upstreamMessages(conversation, history, persona.systemPrompt, request.instructions);
    if (thinking === 'structured') messages.splice(messages[0]?.role === 'system' ? 1 : 0, 0, { role: 'system', content: STRUCTURED_THINKING_PROMPT });
    return this.runs.start({
      ownerId: request.ownerId,
      requestId: request.requestId,
      surface: request.surface,
      conversationId: conversation.id,
      parentMessageId: request.parentMessageId,
      thinking,
      cache: request.cache,
      request: {
        model,
        messages,
        temperature: request.options?.temperature ?? persona.temperature,
        max_tokens: request.options?.max_tokens ?? this.config.maxTokens,
        ...(request.options?.top_p === undefined ? {} : { top_p: request.options.top_p }),
        ...(request.options?.tools === undefined ? {} : { tools: request.options.tools, tool_choice: request.options.tool_choice }),
      },
    });
  }

  /**
   * What a run answering the conversation now would be sent as context: its
   * system prompt (own, else its persona's) and the newest complete messages
   * of its active branch, for a caller that adds its own turn after them.
   */
  async contextMessages(conversation: Conversation): Promise<ChatMessage[]> {
    const history = await this.store.messages.listActive(conversation.id, this.config.historyMessages);
    return this.upstreamMessages(conversation, history, this.personaSettings(conversation).systemPrompt);
  }

  /** The conversation persona's prompt, model and temperature, merged with the global settings. */
  private personaSettings(conversation: Conversation): GlobalDefaults {
    const globals = { systemPrompt: this.config.systemPrompt, model: this.config.model, temperature: this.config.temperature };
    return this.personas?.settingsFor(conversation.persona, globals) ?? globals;
  }

  private upstreamMessages(conversation: Conversation, history: Message[], personaPrompt: string | undefined, instructions?: string): ChatMessage[] {
    const messages: ChatMessage[] = [];
    const systemPrompt = instructions ?? conversation.system_prompt ?? personaPrompt;
    if (systemPrompt !== undefined && systemPrompt !== '') messages.push({ role: 'system', content: systemPrompt });
    for (const message of history) {
      // Failed or interrupted answers are noise to the model; a cancelled one
      // keeps its partial text, which the user saw.
      if (message.role === 'assistant' && message.status !== 'complete' && message.status !== 'cancelled') continue;
      if (message.content === '') continue;
      const providerMetadata = message.role === 'assistant' ? providerMetadataOf(message) : undefined;
      messages.push({ role: message.role, content: message.content, ...(providerMetadata === undefined ? {} : { providerMetadata }) });
    }
    return messages;
  }
}
