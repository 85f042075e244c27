/**
 * Chat turns every surface shares: storing the user's message and starting a
 * run that answers it with the conversation's system prompt, bounded history
 * and model choice; regenerating; picking the run a conversation's stream
 * follows. Conversation records (listing, history, delete) are
 * {@link ConversationService}, which this extends. Surfaces call this; none of
 * them builds upstream requests or touches persistence themselves.
 */
import { ParleyError } from '../errors.js';
import type { GlobalDefaults, PersonaCatalog } from '../personas/catalog.js';
import type { ChatMessage, ContentPart, FunctionTool, ToolChoice } from '../providers/types.js';
import type { ContentFilter } from '../runs/content-filter.js';
import { STRUCTURED_THINKING_PROMPT, type ThinkingMode } from '../runs/thinking/index.js';
import { partsOf, providerMetadataOf, type Conversation, type HistoryMessage, type Store } from '../store/index.js';
import { ConversationService } from './conversations.js';
import type { ResumePoint, RunHandle, RunService, RunSpec, StreamTarget } from './runs.js';

export type { Conversation, ConversationFields, ConversationSummary, Message, MessageStatus } from '../store/index.js';
export { partsOf } from './conversations.js';

/** Sampling settings a surface may pass through. */
export interface GenerationOptions {
  temperature?: number;
  max_tokens?: number;
  top_p?: number;
  /** Function tools the model may call, and whether it must (the provider contract's types). */
  tools?: FunctionTool[];
  tool_choice?: ToolChoice;
}

/** What the chat service needs of the configuration. */
export interface ChatOptions {
  /** Most stored messages sent upstream (PARLEY_HISTORY_MESSAGES). */
  historyMessages: number;
  /** Thinking mode when a request names none (PARLEY_THINKING). */
  thinking: ThinkingMode;
  /** SYSTEM_PROMPT, MODEL_NAME, MODEL_TEMPERATURE, MODEL_MAX_TOKENS. */
  systemPrompt?: string;
  model?: string;
  temperature?: number;
  maxTokens?: number;
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
  /** Stored in order; the last must be the user's. Texts already validated; a user message's `parts` carry its attachments. */
  messages: { role: 'system' | 'user' | 'assistant'; content: string; parts?: ContentPart[] }[];
  /** How errors name message `index`'s content parts (`input.${index}.content`); default `messages.${index}.content`. */
  partParam?: (index: number) => string;
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

/** Chat turns and conversation records over the store and the runs. */
export class ChatService extends ConversationService {
  constructor(
    store: Store,
    runs: RunService,
    private readonly options: ChatOptions,
    contentFilter?: ContentFilter,
    /** Personas; without them only the global SYSTEM_PROMPT / MODEL_NAME / MODEL_TEMPERATURE apply. */
    private readonly personas?: PersonaCatalog,
  ) {
    super(store, runs, { defaultModel: () => options.model ?? runs.defaultModel() }, contentFilter);
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
   *   answer streams into the conversation (nothing is stored); `shutting_down`; the errors of {@link answer}.
   */
  async startTurnIn(request: ConversationTurnRequest): Promise<Turn> {
    const { messages, model, persona, partParam, ...answer } = request;
    if (messages.at(-1)?.role !== 'user') throw new ParleyError('validation_failed', "The last input message must be the user's.", { param: 'messages' });
    let { conversation } = request;
    const claim = await this.runs.claimConversation(conversation.id);
    try {
      // Refuse a bad model before the message is stored, not after.
      this.runs.checkModel(model ?? conversation.default_model, messages, partParam);
      if (this.runs.draining) throw new ParleyError('shutting_down', 'The server is shutting down; retry shortly.');
      await this.contentFilter?.check(messages.map((message) => message.content));
      if (persona !== undefined && conversation.persona !== persona) {
        conversation = (await this.store.conversations.update(request.ownerId, conversation.id, { persona })) ?? conversation;
      }
      for (const [index, message] of messages.entries()) {
        const last = index === messages.length - 1;
        await this.store.messages.append(conversation.id, message.role, message.content, last ? (model ?? null) : null, message.role === 'user' ? message.parts : undefined);
      }
      try {
        // The run's start transaction marks the conversation's activity (Store.beginRun), one write fewer per turn.
        return { conversation, handle: await this.startAnswer({ ...answer, conversation }) };
      } catch (error) {
        // No run started, yet the messages are stored: that is activity too.
        await this.store.conversations.touch(conversation.id);
        throw error;
      }
    } finally {
      await claim.release();
    }
  }

  /**
   * A stateless completion (`/v1`): a run over the request's own messages,
   * written into no conversation.
   * @throws ParleyError `shutting_down`, `validation_failed`, `content_filtered` / `moderation_unavailable`.
   */
  complete(spec: Omit<RunSpec, 'conversationId' | 'parentMessageId'>): Promise<RunHandle> {
    return this.runs.start(spec);
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
   * Starts a run answering the conversation: system prompt, then the newest
   * `historyMessages` complete messages up to the user's last one. The system
   * prompt is the conversation's own, else its persona's; the model and
   * temperature fall back to the persona's (see PersonaCatalog.settingsFor).
   * @throws ParleyError `validation_failed` when there is no user message to answer; `conflict` while
   *   another answer is starting or streaming in the conversation.
   */
  async answer(request: AnswerRequest): Promise<RunHandle> {
    const claim = await this.runs.claimConversation(request.conversation.id);
    try {
      return await this.startAnswer(request);
    } finally {
      await claim.release();
    }
  }

  /**
   * The run a conversation's stream follows: the one the client resumes, else
   * the answer running in the conversation (on any instance), else its latest
   * answer while its events are held, else a new answer to its unanswered
   * user message.
   * @throws ParleyError `conversation_not_found`; `conflict` when the latest message is already answered.
   */
  async followConversation(request: {
    ownerId: string;
    conversationId: string;
    resume?: ResumePoint;
    model?: string;
    requestId?: string;
    /** Called just before a new answer starts (never for a resume or an attach); a throw refuses the start. */
    beforeStart?: () => Promise<void>;
  }): Promise<StreamTarget> {
    const { ownerId } = request;
    const conversation = await this.conversation(ownerId, request.conversationId);
    return this.runs.resumeOrStart({
      ownerId,
      resume: request.resume,
      attach: async () => {
        const active = await this.runs.activeRun(conversation.id);
        if (active !== undefined) return active.runId;
        const head = await this.store.messages.head(conversation.id);
        if (head?.role === 'assistant' && head.run_id !== null && (await this.runs.held(head.run_id))) return head.run_id;
        if (head?.role !== 'user') throw new ParleyError('conflict', 'The latest message is already answered; POST /conversations/{id}/messages first.');
        return undefined;
      },
      start: async () => {
        await request.beforeStart?.();
        return (await this.answer({ ownerId, conversation, surface: 'conversations', model: request.model, requestId: request.requestId })).id;
      },
    });
  }

  /** {@link answer} for a caller that already holds the conversation's claim. */
  private async startAnswer(request: AnswerRequest): Promise<RunHandle> {
    const { conversation } = request;
    let history = await this.store.messages.history(conversation.id, request.historyMessages ?? this.options.historyMessages);
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
    const thinking = request.thinking ?? this.options.thinking;
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
        max_tokens: request.options?.max_tokens ?? this.options.maxTokens,
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
    const history = await this.store.messages.history(conversation.id, this.options.historyMessages);
    return this.upstreamMessages(conversation, history, this.personaSettings(conversation).systemPrompt);
  }

  /** The conversation persona's prompt, model and temperature, merged with the global settings. */
  private personaSettings(conversation: Conversation): GlobalDefaults {
    const globals = { systemPrompt: this.options.systemPrompt, model: this.options.model, temperature: this.options.temperature };
    return this.personas?.settingsFor(conversation.persona, globals) ?? globals;
  }

  private upstreamMessages(conversation: Conversation, history: readonly HistoryMessage[], personaPrompt: string | undefined, instructions?: string): ChatMessage[] {
    const messages: ChatMessage[] = [];
    const systemPrompt = instructions ?? conversation.system_prompt ?? personaPrompt;
    if (systemPrompt !== undefined && systemPrompt !== '') messages.push({ role: 'system', content: systemPrompt });
    for (const message of history) {
      // Failed or interrupted answers are noise to the model; a cancelled one
      // keeps its partial text, which the user saw.
      if (message.role === 'assistant' && message.status !== 'complete' && message.status !== 'cancelled') continue;
      if (message.content === '') continue;
      const providerMetadata = message.role === 'assistant' ? providerMetadataOf(message) : undefined;
      const parts = message.role === 'user' ? partsOf(message) : undefined;
      messages.push({
        role: message.role,
        content: message.content,
        ...(providerMetadata === undefined ? {} : { providerMetadata }),
        ...(parts === undefined ? {} : { parts }),
      });
    }
    return messages;
  }
}
