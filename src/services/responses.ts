/**
 * Responses (the OpenAI Responses API's resource) over runs and
 * conversations. A response is one run. With `store: true` it is a turn of a
 * conversation of the calling key, so it shows in `/conversations` and
 * `previous_response_id` continues that conversation; its request, input
 * items and final output are kept in the `responses` table. With `store:
 * false` nothing is written but the run's usage row: the response lives in
 * this process's memory only as long as its run's events stay in the run log
 * (PARLEY_RUN_LOG_TTL_SECONDS after it ended).
 *
 * A request whose input carries function calls or their outputs (how agent
 * loops send a turn) brings its own context, which a conversation of text
 * messages cannot hold: it runs on that input, after the context of its
 * `previous_response_id` if any, and is stored as a response only.
 */
import { v7 as uuidv7 } from 'uuid';
import { ParleyError } from '../errors.js';
import type { ChatMessage, ContentPart, FunctionTool, ToolChoice } from '../providers/types.js';
import type { Conversation, Store, StoredResponse } from '../store/index.js';
import { answerFromEvents, emptyAnswer, type RunAnswer } from '../runs/answer.js';
import type { ChatService } from './chat.js';
import type { RunHandle, RunService } from './runs.js';
import { MemoryUnstoredResponses, type UnstoredResponses } from './unstored-responses.js';

/** What the responses service needs of the configuration. */
export interface ResponsesOptions {
  /** MODEL_MAX_TOKENS: the completion limit of a response that names none. */
  maxTokens?: number;
  /** PARLEY_RUN_LOG_TTL_SECONDS: how long a `store: false` response stays readable after its run ended. */
  runLogTtlSeconds: number;
  /** Most ended `store: false` responses kept in memory (PARLEY_RUN_LOG_MAX_RUNS), oldest dropped first. */
  runLogMaxRuns: number;
}

/** The surface name runs of this service are recorded under. */
export const RESPONSES_SURFACE = 'responses';

/** Request settings a response echoes back. */
export interface ResponseSettings {
  /** The model as requested (may be empty for the default). */
  model: string | null;
  instructions: string | null;
  metadata: Record<string, string> | null;
  temperature: number | null;
  top_p: number | null;
  max_output_tokens: number | null;
  /** Tools as the client sent them (echoed; `CreateResponseRequest.upstreamTools` reach the provider). */
  tools: unknown[];
  tool_choice: unknown;
  background: boolean;
  store: boolean;
}

/** One input item, provider-neutral. */
export type ResponseInput =
  /** `parts`: a user message's content with its images and files, in order (text included); unset for text only. */
  | { type: 'message'; role: 'user' | 'system' | 'developer' | 'assistant'; text: string; parts?: ContentPart[] }
  | { type: 'function_call'; call_id: string; name: string; arguments: string }
  | { type: 'function_call_output'; call_id: string; output: string };

/** An input item as kept: with the id it is listed under. */
export type StoredInput = ResponseInput & { id: string };

/** A response as the service keeps it. */
export interface ResponseRecord {
  id: string;
  ownerId: string;
  runId: string;
  conversationId: string | null;
  messageId: string | null;
  previousResponseId: string | null;
  /** The model the run uses, as resolved. */
  model: string;
  settings: ResponseSettings;
  input: StoredInput[];
  /** ISO-8601. */
  createdAt: string;
  /** The final answer, once the run ended. */
  output: RunAnswer | null;
}

/** What is known of a response now. */
export interface ResponseSnapshot {
  record: ResponseRecord;
  /** The answer so far (final once `answer.status` is not `streaming`). */
  answer: RunAnswer;
  /** Whether the run's events are still in the run log (it can be streamed). */
  streamable: boolean;
}

/** A request to create a response. */
export interface CreateResponseRequest {
  ownerId: string;
  settings: ResponseSettings;
  input: ResponseInput[];
  previousResponseId?: string;
  requestId?: string;
  /** `settings.tools` as the provider takes them (chat-completion tools), with their `tool_choice`. */
  upstreamTools?: { tools: FunctionTool[]; tool_choice?: ToolChoice };
}

/** Response id of a run: `resp_` and the run id's 32 hex digits. */
export function responseIdOf(runId: string): string {
  return `resp_${runId.replaceAll('-', '')}`;
}

/** The run id of a response id, or undefined when it is not one. */
export function runIdOfResponse(responseId: string): string | undefined {
  const match = /^resp_([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})$/.exec(responseId);
  return match === null ? undefined : match.slice(1).join('-');
}

type Row = StoredResponse<ResponseSettings & { resolved_model: string }, StoredInput, RunAnswer>;

function recordOf(row: Row): ResponseRecord {
  const { resolved_model: model, ...settings } = row.request;
  return {
    id: row.id,
    ownerId: row.owner_id,
    runId: row.run_id,
    conversationId: row.conversation_id,
    messageId: row.message_id,
    previousResponseId: row.previous_response_id,
    model,
    settings,
    input: row.input_items,
    createdAt: row.created_at,
    output: row.output,
  };
}

/** Chat messages for a stateless (store: false) run: instructions first, then the input items. */
function statelessMessages(instructions: string | null, input: readonly ResponseInput[]): ChatMessage[] {
  const messages: ChatMessage[] = instructions === null ? [] : [{ role: 'system', content: instructions }];
  for (const item of input) {
    if (item.type === 'message') messages.push({ role: item.role === 'developer' ? 'system' : item.role, content: item.text, ...(item.parts === undefined ? {} : { parts: item.parts }) });
    else if (item.type === 'function_call') {
      const call = { id: item.call_id, type: 'function' as const, function: { name: item.name, arguments: item.arguments } };
      const last = messages.at(-1);
      // Parallel calls of one turn belong on one assistant message.
      if (last?.role === 'assistant' && last.tool_calls !== undefined && (last.content ?? '') === '') last.tool_calls.push(call);
      else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
    } else messages.push({ role: 'tool', tool_call_id: item.call_id, content: item.output });
  }
  return messages;
}

/** Most responses followed back through `previous_response_id` to rebuild a context. */
const MAX_CHAIN = 64;

/** A response's answer as the assistant message that continues a chat. */
function answerMessages(answer: RunAnswer | null): ChatMessage[] {
  if (answer === null || (answer.content === '' && answer.tool_calls.length === 0)) return [];
  const toolCalls = answer.tool_calls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } }));
  return [{ role: 'assistant', content: answer.content === '' ? null : answer.content, ...(toolCalls.length === 0 ? {} : { tool_calls: toolCalls }) }];
}

/** Responses over the run manager, the chat service and the store. */
export class ResponsesService {
  /** `store: false` responses, readable until PARLEY_RUN_LOG_TTL_SECONDS after they end. */
  private readonly unstored: UnstoredResponses;

  /** @param unstored where `store: false` responses live; default this process's memory. */
  constructor(
    private readonly store: Store,
    private readonly runs: RunService,
    private readonly chat: ChatService,
    private readonly options: ResponsesOptions,
    unstored?: UnstoredResponses,
  ) {
    this.unstored = unstored ?? new MemoryUnstoredResponses(options.runLogTtlSeconds, options.runLogMaxRuns);
  }

  /**
   * Starts a response.
   * @throws ParleyError `response_not_found` for an unknown `previous_response_id`; `conflict` when a
   *   text turn's `previous_response_id` is not its conversation's latest response or an answer still
   *   streams there; the errors of ChatService.startTurnIn / RunManager.start.
   */
  async create(request: CreateResponseRequest): Promise<ResponseRecord> {
    const { settings } = request;
    const options = {
      ...(settings.temperature === null ? {} : { temperature: settings.temperature }),
      ...(settings.max_output_tokens === null ? {} : { max_tokens: settings.max_output_tokens }),
      ...(settings.top_p === null ? {} : { top_p: settings.top_p }),
      ...(request.upstreamTools === undefined || request.upstreamTools.tools.length === 0 ? {} : request.upstreamTools),
    };
    const input: StoredInput[] = request.input.map((item) => ({ ...item, id: `${item.type === 'message' ? 'msg' : item.type === 'function_call' ? 'fc' : 'fco'}_${uuidv7().replaceAll('-', '')}` }));
    let handle: RunHandle;
    const ownContext = !settings.store || request.input.some((item) => item.type !== 'message');
    const conversation = ownContext ? undefined : await this.conversationToContinue(request);
    if (conversation !== undefined) {
      const messages = request.input.map((item) => ({
        role: item.type === 'message' && item.role !== 'developer' ? item.role : ('system' as const),
        content: item.type === 'message' ? item.text : '',
        ...(item.type === 'message' && item.parts !== undefined ? { parts: item.parts } : {}),
      }));
      const turn = await this.chat.startTurnIn({
        ownerId: request.ownerId,
        conversation,
        surface: RESPONSES_SURFACE,
        requestId: request.requestId,
        model: settings.model,
        messages,
        partParam: (index) => `input.${index}.content`,
        ...(settings.instructions === null ? {} : { instructions: settings.instructions }),
        options,
      });
      handle = turn.handle;
    } else {
      const context = request.previousResponseId === undefined ? [] : await this.contextOf(request.ownerId, request.previousResponseId);
      // This request's instructions replace whatever system prompt the context had.
      const earlier = settings.instructions === null ? context : context.filter((message) => message.role !== 'system');
      const own = statelessMessages(settings.instructions, request.input);
      const messages = settings.instructions === null ? [...earlier, ...own] : [own[0]!, ...earlier, ...own.slice(1)];
      handle = await this.runs.start({
        ownerId: request.ownerId,
        surface: RESPONSES_SURFACE,
        requestId: request.requestId,
        request: { model: settings.model, messages, ...options, max_tokens: options.max_tokens ?? this.options.maxTokens },
        partParam: (index) => {
          const item = messages[index] === undefined ? undefined : request.input.findIndex((input) => input.type === 'message' && input.parts !== undefined && input.parts === messages[index]?.parts);
          return item === undefined || item < 0 ? `messages.${index}.content` : `input.${item}.content`;
        },
      });
    }
    const record: ResponseRecord = {
      id: responseIdOf(handle.id),
      ownerId: request.ownerId,
      runId: handle.id,
      conversationId: handle.conversationId,
      messageId: handle.messageId,
      previousResponseId: request.previousResponseId ?? null,
      model: handle.model,
      settings,
      input,
      createdAt: new Date().toISOString(),
      output: null,
    };
    await this.keep(record, handle);
    return record;
  }

  /**
   * The conversation a text-only stored request adds its turn to: a new one,
   * or that of `previous_response_id`; undefined when the previous response
   * is no conversation turn (its context is then rebuilt by {@link contextOf}).
   */
  private async conversationToContinue(request: CreateResponseRequest): Promise<Conversation | undefined> {
    if (request.previousResponseId === undefined) {
      const firstText = request.input.find((item) => item.type === 'message' && item.role === 'user');
      const title = firstText?.type === 'message' ? firstText.text.slice(0, 80) : null;
      return this.chat.createConversation(request.ownerId, { default_model: request.settings.model, title });
    }
    const previous = await this.record(request.ownerId, request.previousResponseId);
    if (previous === undefined) throw new ParleyError('response_not_found', `Response ${request.previousResponseId} was not found.`, { param: 'previous_response_id' });
    if (previous.conversationId === null) {
      // Continuing a response that brought its own context (function calls) or was not stored: a new
      // conversation would lose that context, so the text turn is added to nothing and keeps it.
      return undefined;
    }
    const conversation = await this.chat.conversation(request.ownerId, previous.conversationId);
    const head = await this.store.messages.head(conversation.id);
    if (head?.id !== previous.messageId) {
      throw new ParleyError('conflict', `Response ${previous.id} is not the latest of its conversation; continue from the latest response.`, { param: 'previous_response_id' });
    }
    return conversation;
  }

  /**
   * The context a response continues from: its conversation's, when it is a
   * conversation turn; else, back along `previous_response_id`, each
   * response's input items and answer.
   * @throws ParleyError `response_not_found` for an unknown (or expired `store: false`) response.
   */
  private async contextOf(ownerId: string, responseId: string): Promise<ChatMessage[]> {
    const chain: ResponseRecord[] = [];
    for (let id: string | null = responseId; id !== null && chain.length < MAX_CHAIN; ) {
      const record = await this.record(ownerId, id);
      if (record === undefined) throw new ParleyError('response_not_found', `Response ${id} was not found.`, { param: 'previous_response_id' });
      chain.unshift(record);
      if (record.conversationId !== null) break;
      id = record.previousResponseId;
    }
    const [first] = chain;
    const messages: ChatMessage[] = [];
    if (first?.conversationId !== null && first !== undefined) {
      messages.push(...(await this.chat.contextMessages(await this.chat.conversation(ownerId, first.conversationId))));
      // The conversation keeps the answer's text; tool calls it made are only in the response's output.
      const [withCalls] = answerMessages(first.output);
      if (withCalls?.tool_calls !== undefined && messages.at(-1)?.role === 'assistant') messages[messages.length - 1] = withCalls;
      chain.shift();
    }
    for (const record of chain) messages.push(...statelessMessages(null, record.input), ...answerMessages(record.output));
    return messages;
  }

  /** Keeps the record (table or memory) and its final output once the run ends. */
  private async keep(record: ResponseRecord, handle: RunHandle): Promise<void> {
    if (record.settings.store) {
      await this.store.responses.create({
        id: record.id,
        owner_id: record.ownerId,
        run_id: record.runId,
        conversation_id: record.conversationId,
        message_id: record.messageId,
        previous_response_id: record.previousResponseId,
        request: { ...record.settings, resolved_model: record.model },
        input_items: record.input,
        output: null,
        created_at: record.createdAt,
      });
    } else {
      await this.unstored.put(record);
    }
    void handle.done.then(async () => {
      const output = answerFromEvents((await this.runs.snapshot(record.runId)) ?? []);
      record.output = output;
      if (record.settings.store) {
        await this.store.responses.setOutput(record.id, output).catch(() => undefined);
        return;
      }
      await this.unstored.finish(record).catch(() => undefined);
      // Nobody may stream an unstored foreground response again (its client's
      // leaving cancels it): its events go once that stream is done, and the
      // record alone answers reads until its TTL.
      if (!record.settings.background) await this.runs.forget(record.runId).catch(() => undefined);
    });
  }

  /** The owner's response record, or undefined. */
  private async record(ownerId: string, responseId: string): Promise<ResponseRecord | undefined> {
    const ephemeral = await this.unstored.get(responseId);
    if (ephemeral !== undefined) return ephemeral.ownerId === ownerId ? ephemeral : undefined;
    if (runIdOfResponse(responseId) === undefined) return undefined;
    const row = await this.store.responses.get<Row['request'], StoredInput, RunAnswer>(ownerId, responseId);
    return row === undefined ? undefined : recordOf(row);
  }

  /**
   * The owner's response as it stands.
   * @throws ParleyError `response_not_found` (also for another key's, and for expired `store: false` ones).
   */
  async get(ownerId: string, responseId: string): Promise<ResponseSnapshot> {
    const record = await this.record(ownerId, responseId);
    if (record === undefined) throw new ParleyError('response_not_found', `Response ${responseId} was not found.`, { param: 'response_id' });
    const events = await this.runs.snapshot(record.runId);
    if (events !== undefined) return { record, answer: answerFromEvents(events), streamable: true };
    if (record.output !== null) return { record, answer: record.output, streamable: false };
    // The run ended without its output being recorded (the server stopped): what the stored rows hold.
    const answer = emptyAnswer();
    const run = await this.store.runs.get(ownerId, record.runId);
    answer.status = run?.status === 'complete' ? 'complete' : 'interrupted';
    if (record.conversationId !== null && record.messageId !== null) {
      const message = await this.store.messages.get(record.conversationId, record.messageId);
      answer.content = message?.content ?? '';
      answer.reasoning = message?.reasoning ?? '';
    }
    return { record, answer, streamable: false };
  }

  /**
   * Cancels a running response; idempotent: an ended one is returned as it is.
   * @throws ParleyError `response_not_found`.
   */
  async cancel(ownerId: string, responseId: string): Promise<ResponseSnapshot> {
    const { record } = await this.get(ownerId, responseId);
    await this.runs.cancel(ownerId, record.runId);
    return this.get(ownerId, responseId);
  }

  /**
   * Deletes a response (cancelling it when running). The conversation turn it
   * added stays in its conversation; `DELETE /conversations/{id}` removes that.
   * @throws ParleyError `response_not_found`.
   */
  async delete(ownerId: string, responseId: string): Promise<void> {
    const { record } = await this.get(ownerId, responseId);
    await this.runs.cancel(ownerId, record.runId);
    if (record.settings.store) await this.store.responses.delete(ownerId, record.id);
    else await this.unstored.delete(record.id);
  }
}
