/**
 * A run's answer as one value, folded from its events: what a view that
 * answers with a whole object (not a stream) shows, and what the core stores
 * when a surface keeps a run's outcome beyond its messages (stored responses).
 */
import { emptyUsage, type FinishReason, type Usage } from '../providers/types.js';
import type { RunError, RunEvent } from './events.js';

/** A tool call the model made, arguments as the JSON text it streamed. */
export interface AnswerToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** Where a run stands: `streaming` until its terminal event, then its outcome. */
export type AnswerStatus = 'streaming' | 'complete' | 'failed' | 'cancelled' | 'interrupted';

/** Everything a run produced so far. */
export interface RunAnswer {
  status: AnswerStatus;
  content: string;
  reasoning: string;
  tool_calls: AnswerToolCall[];
  /** Set once the run completed. */
  finish_reason: FinishReason | null;
  usage: Usage;
  error: RunError | null;
  /** Whether the run produced any output (text, reasoning or a tool call) yet. */
  started_output: boolean;
  /** A fallback run: the target that answered (`run.target`). */
  served?: { provider: string; model: string };
}

/** The answer of a run that logged nothing yet. */
export function emptyAnswer(): RunAnswer {
  return { status: 'streaming', content: '', reasoning: '', tool_calls: [], finish_reason: null, usage: emptyUsage(), error: null, started_output: false };
}

/**
 * Folds a run's events (in seq order, complete or a prefix) into its answer.
 * Tool calls are keyed by their stream index, as OpenAI streams them.
 */
export function answerFromEvents(events: readonly RunEvent[]): RunAnswer {
  const answer = emptyAnswer();
  const calls: AnswerToolCall[] = [];
  for (const event of events) {
    switch (event.type) {
      case 'message.delta':
        answer.content += event.text;
        answer.started_output = true;
        break;
      case 'reasoning.delta':
        answer.reasoning += event.text;
        answer.started_output = true;
        break;
      case 'tool_call.delta': {
        const call = (calls[event.index] ??= { id: '', name: '', arguments: '' });
        if (event.id !== undefined) call.id = event.id;
        if (event.name !== undefined) call.name += event.name;
        if (event.arguments !== undefined) call.arguments += event.arguments;
        answer.started_output = true;
        break;
      }
      case 'run.target':
        answer.served = { provider: event.provider, model: event.model };
        break;
      case 'usage':
        answer.usage = event.usage;
        break;
      case 'run.completed':
        answer.status = 'complete';
        answer.finish_reason = event.finish_reason;
        answer.usage = event.usage;
        break;
      case 'run.failed':
        answer.status = 'failed';
        answer.error = event.error;
        answer.usage = event.usage;
        break;
      case 'run.cancelled':
        answer.status = 'cancelled';
        answer.usage = event.usage;
        break;
      default:
        break;
    }
  }
  answer.tool_calls = calls.filter((call) => call !== undefined).map((call, index) => ({ ...call, id: call.id === '' ? `call_${index}` : call.id }));
  return answer;
}
