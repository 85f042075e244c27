/**
 * Maps run events to OpenAI's wire objects: `chat.completion.chunk` for
 * streams and `chat.completion` for whole answers (OpenAI API reference,
 * "The chat completion chunk object"), with DeepSeek's `reasoning_content`
 * for reasoning.
 */
import { ParleyError } from '../../../errors.js';
import type { FinishReason, Usage } from '../../../providers/types.js';
import type { RunEvent } from '../../../runs/events.js';
import type { SseMessage } from '../../streaming/sse.js';
import type { StreamView } from '../../streaming/stream-view.js';

/** Identity shared by every chunk of one completion. */
export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
}

/** OpenAI's usage object. */
export function openAIUsage(usage: Usage) {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
    prompt_tokens_details: { cached_tokens: usage.cached_tokens },
    completion_tokens_details: { reasoning_tokens: usage.reasoning_tokens },
    ...(usage.cost === undefined ? {} : { cost: usage.cost }),
  };
}

function toOpenAIFinish(reason: FinishReason): string {
  return reason === 'cancelled' ? 'stop' : reason;
}

/**
 * The JSON text of a chunk up to its delta (`{"id":…,"choices":[{"index":0,"delta":`):
 * the same for every chunk of a completion, so built once per model rather than
 * serialized again per token.
 */
export function chunkPrefix(identity: CompletionIdentity): string {
  return `{"id":${JSON.stringify(identity.id)},"object":"chat.completion.chunk","created":${JSON.stringify(identity.created)},"model":${JSON.stringify(identity.model)},"choices":[{"index":0,"delta":`;
}

const OPEN_TAIL = ',"logprobs":null,"finish_reason":null}]}';

/**
 * The chunk for one event after its {@link chunkPrefix}, or undefined when the
 * event has no chunk. The same text `JSON.stringify` gives for the whole chunk
 * object, built from strings: a token costs one `JSON.stringify` of its text.
 */
export function chunkAfter(prefix: string, event: RunEvent): string | undefined {
  switch (event.type) {
    case 'run.started':
      return `${prefix}{"role":"assistant","content":""}${OPEN_TAIL}`;
    case 'message.delta':
      return `${prefix}{"content":${JSON.stringify(event.text)}}${OPEN_TAIL}`;
    case 'reasoning.delta':
      return `${prefix}{"reasoning_content":${JSON.stringify(event.text)}}${OPEN_TAIL}`;
    case 'tool_call.delta': {
      const call = {
        index: event.index,
        ...(event.id === undefined ? {} : { id: event.id, type: 'function' }),
        function: { ...(event.name === undefined ? {} : { name: event.name }), arguments: event.arguments ?? '' },
      };
      return `${prefix}${JSON.stringify({ tool_calls: [call] })}${OPEN_TAIL}`;
    }
    case 'run.completed':
      return `${prefix}{},"logprobs":null,"finish_reason":${JSON.stringify(toOpenAIFinish(event.finish_reason))}}]}`;
    case 'run.cancelled':
      return `${prefix}{},"logprobs":null,"finish_reason":"stop"}]}`;
    default:
      return undefined;
  }
}

/** The chunk for one event, or undefined when the event has no chunk. */
export function chunkFor(identity: CompletionIdentity, event: RunEvent): string | undefined {
  return chunkAfter(chunkPrefix(identity), event);
}

/** The trailing usage chunk (`stream_options.include_usage`): empty `choices`. */
export function usageChunk(identity: CompletionIdentity, usage: Usage): string {
  return JSON.stringify({
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model: identity.model,
    choices: [],
    usage: openAIUsage(usage),
  });
}

/** What the `/v1` stream has shown: the model it names, and whether the role chunk went out. */
interface CompletionStreamState {
  identity: CompletionIdentity;
  /** {@link chunkPrefix} of `identity`, rebuilt when the model changes. */
  prefix: string;
  /** The role chunk waits for the first output, so that it names the target a fallback run settled on. */
  started: RunEvent | undefined;
}

/**
 * The `/v1` stream view: a chunk per event, a failure after the first token
 * as an error object in `data:`, then (unless failed) the usage chunk when
 * asked for and `[DONE]`. Every chunk names the model that answers: the
 * requested one, or for a fallback alias the target that served (`run.target`).
 * Not resumable: like OpenAI's API, a client that leaves cancels its run; a
 * failure before output is an HTTP status.
 */
export function chatCompletionView(identity: CompletionIdentity, includeUsage: boolean): StreamView<CompletionStreamState, SseMessage> {
  return {
    resume: 'none',
    earlyFailure: 'status',
    initial: () => ({ identity: { ...identity }, prefix: chunkPrefix(identity), started: undefined }),
    map: (state, event) => {
      if (event.type === 'run.started') {
        state.started = event;
        return undefined;
      }
      if (event.type === 'run.target') {
        state.identity.model = event.model;
        state.prefix = chunkPrefix(state.identity);
        return undefined;
      }
      if (event.type === 'run.failed') {
        state.started = undefined;
        return { data: JSON.stringify(new ParleyError(event.error.code, event.error.message).toBody()) };
      }
      const chunk = chunkAfter(state.prefix, event);
      if (chunk === undefined) return undefined;
      // One frame per token; the role chunk goes out once, before the first output.
      if (state.started === undefined) return { data: chunk };
      const role = { data: chunkAfter(state.prefix, state.started) ?? '' };
      state.started = undefined;
      return [role, { data: chunk }];
    },
    trailer: (state, terminal) => {
      if (terminal.type === 'run.failed') return [];
      return [...(includeUsage ? [{ data: usageChunk(state.identity, terminal.usage) }] : []), { data: '[DONE]' }];
    },
  };
}

/** Assembles a whole `chat.completion` from a finished run's events. */
export function completionFrom(identity: CompletionIdentity, events: readonly RunEvent[]) {
  let content = '';
  let reasoning = '';
  const toolCalls: { id: string; type: 'function'; function: { name: string; arguments: string } }[] = [];
  let finishReason = 'stop';
  let usage: Usage | undefined;
  let model = identity.model;
  for (const event of events) {
    if (event.type === 'run.target') model = event.model;
    else if (event.type === 'message.delta') content += event.text;
    else if (event.type === 'reasoning.delta') reasoning += event.text;
    else if (event.type === 'tool_call.delta') {
      const call = (toolCalls[event.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
      if (event.id !== undefined) call.id = event.id;
      if (event.name !== undefined) call.function.name += event.name;
      if (event.arguments !== undefined) call.function.arguments += event.arguments;
    } else if (event.type === 'run.completed') {
      finishReason = toOpenAIFinish(event.finish_reason);
      usage = event.usage;
    } else if (event.type === 'run.cancelled' || event.type === 'run.failed') usage = event.usage;
  }
  return {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: toolCalls.length > 0 && content === '' ? null : content,
          ...(reasoning === '' ? {} : { reasoning_content: reasoning }),
          ...(toolCalls.length === 0 ? {} : { tool_calls: toolCalls.filter(Boolean) }),
        },
        logprobs: null,
        finish_reason: finishReason,
      },
    ],
    usage: openAIUsage(usage ?? { prompt_tokens: 0, completion_tokens: 0, reasoning_tokens: 0, cached_tokens: 0 }),
  };
}
