/**
 * Wire objects of the OpenAI Responses API (`openai` npm package,
 * resources/responses/responses.ts: `Response`, `ResponseOutputItem`,
 * `ResponseUsage`, input items), built from Parley's response records and
 * run answers. Reasoning is a `reasoning` item whose `content` holds
 * `reasoning_text` (the raw reasoning the provider streamed) and whose
 * `summary` is empty: Parley has no summary of it, only the text itself.
 */
import { inputContentPart } from './parts.js';
import type { Usage } from '../../../providers/types.js';
import type { AnswerStatus, AnswerToolCall, RunAnswer } from '../../../runs/answer.js';
import type { ResponseRecord, StoredInput } from '../../../services/responses.js';

/** What every event and object of one response shares. */
export type ResponseIdentity = Pick<ResponseRecord, 'id' | 'model' | 'settings' | 'previousResponseId' | 'createdAt'>;

/** `Response['status']`. */
export type ResponseStatus = 'queued' | 'in_progress' | 'completed' | 'incomplete' | 'failed' | 'cancelled';

/** An output item (`ResponseOutputItem`: message, reasoning, function_call). */
export type OutputItem =
  | { id: string; type: 'reasoning'; summary: []; content: { type: 'reasoning_text'; text: string }[]; status: 'in_progress' | 'completed' | 'incomplete' }
  | {
      id: string;
      type: 'message';
      role: 'assistant';
      status: 'in_progress' | 'completed' | 'incomplete';
      content: { type: 'output_text'; text: string; annotations: []; logprobs: [] }[];
    }
  | { id: string; type: 'function_call'; call_id: string; name: string; arguments: string; status: 'in_progress' | 'completed' | 'incomplete' };

/** The part of a response that changes while it runs. */
export interface ResponseProgress {
  status: ResponseStatus;
  output: OutputItem[];
  usage: Usage | null;
  error: { code: string; message: string } | null;
  incompleteReason: 'max_output_tokens' | 'content_filter' | null;
}

/** The item id of output item `index` of a response. */
export function itemId(identity: ResponseIdentity, prefix: 'rs' | 'msg' | 'fc', index: number): string {
  return `${prefix}_${identity.id.slice('resp_'.length)}_${index}`;
}

/** `ResponseUsage` from Parley's usage. */
export function responseUsage(usage: Usage) {
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: usage.cached_tokens },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: usage.reasoning_tokens },
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
  };
}

/** The `Response` object. */
export function responseObject(identity: ResponseIdentity, progress: ResponseProgress) {
  const { settings } = identity;
  const ended = progress.status !== 'queued' && progress.status !== 'in_progress';
  return {
    id: identity.id,
    object: 'response' as const,
    created_at: Math.floor(Date.parse(identity.createdAt) / 1000),
    status: progress.status,
    background: settings.background,
    error: progress.error,
    incomplete_details: progress.incompleteReason === null ? null : { reason: progress.incompleteReason },
    instructions: settings.instructions,
    max_output_tokens: settings.max_output_tokens,
    metadata: settings.metadata ?? {},
    model: identity.model,
    output: progress.output,
    parallel_tool_calls: true,
    previous_response_id: identity.previousResponseId,
    reasoning: { effort: null, summary: null },
    store: settings.store,
    temperature: settings.temperature,
    text: { format: { type: 'text' as const } },
    tool_choice: settings.tool_choice ?? 'auto',
    tools: settings.tools,
    top_p: settings.top_p,
    truncation: 'disabled' as const,
    usage: ended && progress.usage !== null ? responseUsage(progress.usage) : null,
  };
}

/** The response status of a run's answer; `background` responses are `queued` until output starts. */
export function statusOf(answer: Pick<RunAnswer, 'status' | 'finish_reason' | 'started_output'>, background: boolean): ResponseStatus {
  const statuses: Record<AnswerStatus, ResponseStatus> = { streaming: 'in_progress', complete: 'completed', failed: 'failed', cancelled: 'cancelled', interrupted: 'failed' };
  if (answer.status === 'streaming' && background && !answer.started_output) return 'queued';
  if (answer.status === 'complete' && (answer.finish_reason === 'length' || answer.finish_reason === 'content_filter')) return 'incomplete';
  return statuses[answer.status];
}

/** Why a completed answer is `incomplete`, if it is. */
export function incompleteReasonOf(answer: Pick<RunAnswer, 'status' | 'finish_reason'>): ResponseProgress['incompleteReason'] {
  if (answer.status !== 'complete') return null;
  if (answer.finish_reason === 'length') return 'max_output_tokens';
  if (answer.finish_reason === 'content_filter') return 'content_filter';
  return null;
}

function functionCallItem(identity: ResponseIdentity, call: AnswerToolCall, index: number, status: 'in_progress' | 'completed' | 'incomplete'): OutputItem {
  return { id: itemId(identity, 'fc', index), type: 'function_call', call_id: call.id, name: call.name, arguments: call.arguments, status };
}

/**
 * The whole response from a run's answer (reasoning item, message item, then
 * function calls), for responses whose events already left the run log.
 */
export function responseFromAnswer(identity: ResponseIdentity, answer: RunAnswer) {
  const status = statusOf(answer, identity.settings.background);
  const itemStatus = status === 'completed' ? 'completed' : status === 'in_progress' || status === 'queued' ? 'in_progress' : 'incomplete';
  const output: OutputItem[] = [];
  if (answer.reasoning !== '') output.push({ id: itemId(identity, 'rs', output.length), type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text: answer.reasoning }], status: itemStatus });
  if (answer.content !== '') {
    output.push({ id: itemId(identity, 'msg', output.length), type: 'message', role: 'assistant', status: itemStatus, content: [{ type: 'output_text', text: answer.content, annotations: [], logprobs: [] }] });
  }
  for (const call of answer.tool_calls) output.push(functionCallItem(identity, call, output.length, itemStatus));
  return responseObject(answer.served === undefined ? identity : { ...identity, model: answer.served.model }, {
    status,
    output,
    usage: answer.usage,
    error: answer.error === null ? (answer.status === 'interrupted' ? { code: 'server_error', message: 'The server stopped before the response completed.' } : null) : { code: answer.error.code, message: answer.error.message },
    incompleteReason: incompleteReasonOf(answer),
  });
}

/** An input item as `GET /v1/responses/{id}/input_items` lists it. */
export function inputItemObject(item: StoredInput) {
  switch (item.type) {
    case 'message':
      return {
        id: item.id,
        type: 'message' as const,
        role: item.role,
        status: 'completed' as const,
        content: item.parts?.map(inputContentPart) ?? [{ type: item.role === 'assistant' ? ('output_text' as const) : ('input_text' as const), text: item.text }],
      };
    case 'function_call':
      return { id: item.id, type: 'function_call' as const, call_id: item.call_id, name: item.name, arguments: item.arguments, status: 'completed' as const };
    case 'function_call_output':
      return { id: item.id, type: 'function_call_output' as const, call_id: item.call_id, output: item.output, status: 'completed' as const };
  }
}
