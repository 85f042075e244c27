/**
 * Responses API streaming events as a pure fold from run events (event
 * shapes: `ResponseStreamEvent` in the `openai` npm package). Sequencing is
 * what the SDK's `ResponseStream` accumulator checks: `response.created`
 * first; every item announced by `response.output_item.added` at the next
 * `output_index`; a `content_part.added` before deltas of that
 * `content_index`; the same `item_id` on every event of an item; each item
 * closed (`*.done`, `content_part.done`, `output_item.done`) before the next
 * text or reasoning item opens. `sequence_number` counts every event from 0,
 * so a replay from the run's first event yields the same numbers, which is
 * how `starting_after` resumes.
 *
 * Reasoning goes out as `response.reasoning_text.*` on a `reasoning` item
 * with `reasoning_text` content (the events OpenAI defines for open-weight
 * models' raw reasoning), not `response.reasoning_summary_text.*`: what
 * providers stream is the reasoning itself, not a summary of it.
 *
 * A cancelled run ends with `response.incomplete` whose response has status
 * `cancelled`: the event union has no cancelled event.
 */
import type { Usage } from '../../../providers/types.js';
import type { RunEvent } from '../../../runs/events.js';
import { itemId, responseObject, statusOf, incompleteReasonOf, type OutputItem, type ResponseIdentity, type ResponseProgress, type ResponseStatus } from './objects.js';

/** One streaming event: its `type`, `sequence_number` and payload. */
export type ResponseStreamFrame = { type: string; sequence_number: number } & Record<string, unknown>;

/** Fold state. Treat as immutable. */
export interface ResponsesStreamState {
  /** `sequence_number` of the next event. */
  sequence: number;
  status: ResponseStatus;
  output: readonly OutputItem[];
  /** The open reasoning or message item (its output index). */
  open: { kind: 'reasoning' | 'message'; index: number } | null;
  /** Output index of each tool call, by its stream index. */
  tools: readonly (number | undefined)[];
  usage: Usage | null;
  ended: boolean;
  /** The target a fallback run settled on (`run.target`), shown as the response's `model`. */
  model?: string;
}

/** Result of one fold step. */
export interface ResponsesFoldStep {
  state: ResponsesStreamState;
  frames: ResponseStreamFrame[];
}

/** The state before the run's first event. */
export function initialResponsesStreamState(): ResponsesStreamState {
  return { sequence: 0, status: 'in_progress', output: [], open: null, tools: [], usage: null, ended: false };
}

/** Mutable working copy of one step; the input state is never touched. */
class Step {
  readonly frames: ResponseStreamFrame[] = [];
  sequence: number;
  status: ResponseStatus;
  output: OutputItem[];
  open: ResponsesStreamState['open'];
  tools: (number | undefined)[];
  usage: Usage | null;

  identity: ResponseIdentity;
  model: string | undefined;

  constructor(identity: ResponseIdentity, state: ResponsesStreamState) {
    this.model = state.model;
    this.identity = state.model === undefined ? identity : { ...identity, model: state.model };
    this.sequence = state.sequence;
    this.status = state.status;
    this.output = [...state.output];
    this.open = state.open;
    this.tools = [...state.tools];
    this.usage = state.usage;
  }

  emit(type: string, payload: Record<string, unknown>): void {
    this.frames.push({ type, sequence_number: this.sequence, ...payload });
    this.sequence += 1;
  }

  response(progress: Partial<ResponseProgress> = {}) {
    return responseObject(this.identity, { status: this.status, output: this.output, usage: this.usage, error: null, incompleteReason: null, ...progress });
  }

  /** Output starts: a queued response goes in progress first. */
  begin(): void {
    if (this.status !== 'queued') return;
    this.status = 'in_progress';
    this.emit('response.in_progress', { response: this.response() });
  }

  closeOpen(itemStatus: 'completed' | 'incomplete'): void {
    if (this.open === null) return;
    const index = this.open.index;
    const item = this.output[index]!;
    this.open = null;
    if (item.type === 'reasoning') {
      const text = item.content[0]?.text ?? '';
      this.emit('response.reasoning_text.done', { item_id: item.id, output_index: index, content_index: 0, text });
      this.emit('response.content_part.done', { item_id: item.id, output_index: index, content_index: 0, part: { type: 'reasoning_text', text } });
    } else if (item.type === 'message') {
      const text = item.content[0]?.text ?? '';
      this.emit('response.output_text.done', { item_id: item.id, output_index: index, content_index: 0, text, logprobs: [] });
      this.emit('response.content_part.done', { item_id: item.id, output_index: index, content_index: 0, part: { type: 'output_text', text, annotations: [], logprobs: [] } });
    }
    this.output[index] = { ...item, status: itemStatus };
    this.emit('response.output_item.done', { output_index: index, item: this.output[index] });
  }

  closeTools(itemStatus: 'completed' | 'incomplete'): void {
    for (const index of this.tools) {
      if (index === undefined) continue;
      const item = this.output[index]!;
      if (item.type !== 'function_call') continue;
      this.emit('response.function_call_arguments.done', { item_id: item.id, output_index: index, name: item.name, arguments: item.arguments });
      this.output[index] = { ...item, status: itemStatus };
      this.emit('response.output_item.done', { output_index: index, item: this.output[index] });
    }
    this.tools = [];
  }

  /** Appends text to the open item of `kind`, opening one (and closing the other kind) first. */
  append(kind: 'reasoning' | 'message', text: string): void {
    this.begin();
    if (this.open !== null && this.open.kind !== kind) this.closeOpen('completed');
    if (this.open === null) {
      const index = this.output.length;
      const item: OutputItem =
        kind === 'reasoning'
          ? { id: itemId(this.identity, 'rs', index), type: 'reasoning', summary: [], content: [], status: 'in_progress' }
          : { id: itemId(this.identity, 'msg', index), type: 'message', role: 'assistant', status: 'in_progress', content: [] };
      this.output.push(item);
      this.open = { kind, index };
      this.emit('response.output_item.added', { output_index: index, item });
      const part = kind === 'reasoning' ? { type: 'reasoning_text', text: '' } : { type: 'output_text', text: '', annotations: [], logprobs: [] };
      this.emit('response.content_part.added', { item_id: item.id, output_index: index, content_index: 0, part });
      this.output[index] = kind === 'reasoning' ? { ...(item as Extract<OutputItem, { type: 'reasoning' }>), content: [{ type: 'reasoning_text', text: '' }] } : { ...(item as Extract<OutputItem, { type: 'message' }>), content: [{ type: 'output_text', text: '', annotations: [], logprobs: [] }] };
    }
    const index = this.open.index;
    const item = this.output[index]!;
    if (item.type === 'reasoning') {
      this.output[index] = { ...item, content: [{ type: 'reasoning_text', text: (item.content[0]?.text ?? '') + text }] };
      this.emit('response.reasoning_text.delta', { item_id: item.id, output_index: index, content_index: 0, delta: text });
    } else if (item.type === 'message') {
      this.output[index] = { ...item, content: [{ type: 'output_text', text: (item.content[0]?.text ?? '') + text, annotations: [], logprobs: [] }] };
      this.emit('response.output_text.delta', { item_id: item.id, output_index: index, content_index: 0, delta: text, logprobs: [] });
    }
  }

  toolDelta(event: Extract<RunEvent, { type: 'tool_call.delta' }>): void {
    this.begin();
    this.closeOpen('completed');
    let index = this.tools[event.index];
    if (index === undefined) {
      index = this.output.length;
      const item: OutputItem = { id: itemId(this.identity, 'fc', index), type: 'function_call', call_id: event.id ?? `call_${event.index}`, name: event.name ?? '', arguments: '', status: 'in_progress' };
      this.output.push(item);
      this.tools[event.index] = index;
      this.emit('response.output_item.added', { output_index: index, item });
    }
    const item = this.output[index]!;
    if (item.type !== 'function_call' || event.arguments === undefined || event.arguments === '') return;
    this.output[index] = { ...item, arguments: item.arguments + event.arguments };
    this.emit('response.function_call_arguments.delta', { item_id: item.id, output_index: index, delta: event.arguments });
  }

  state(ended: boolean): ResponsesStreamState {
    return {
      sequence: this.sequence,
      status: this.status,
      output: this.output,
      open: this.open,
      tools: this.tools,
      usage: this.usage,
      ended,
      ...(this.model === undefined ? {} : { model: this.model }),
    };
  }
}

/** One step of the fold for the response `identity`. Events after the terminal one map to nothing. */
export function foldResponsesStream(identity: ResponseIdentity, state: ResponsesStreamState, event: RunEvent): ResponsesFoldStep {
  if (state.ended) return { state, frames: [] };
  const step = new Step(identity, state);
  switch (event.type) {
    case 'run.started':
      step.status = identity.settings.background ? 'queued' : 'in_progress';
      step.emit('response.created', { response: step.response() });
      step.emit(identity.settings.background ? 'response.queued' : 'response.in_progress', { response: step.response() });
      break;
    case 'run.target':
      step.model = event.model;
      step.identity = { ...step.identity, model: event.model };
      break;
    case 'reasoning.delta':
      step.append('reasoning', event.text);
      break;
    case 'message.delta':
      step.append('message', event.text);
      break;
    case 'tool_call.delta':
      step.toolDelta(event);
      break;
    case 'usage':
      step.usage = event.usage;
      break;
    case 'run.completed': {
      step.begin();
      step.closeOpen('completed');
      step.closeTools('completed');
      step.usage = event.usage;
      const answer = { status: 'complete' as const, finish_reason: event.finish_reason, started_output: true };
      step.status = statusOf(answer, false);
      const incompleteReason = incompleteReasonOf(answer);
      step.emit(step.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: step.response({ incompleteReason }) });
      return { state: step.state(true), frames: step.frames };
    }
    case 'run.failed':
      step.closeOpen('incomplete');
      step.closeTools('incomplete');
      step.usage = event.usage;
      step.status = 'failed';
      step.emit('response.failed', { response: step.response({ error: { code: event.error.code, message: event.error.message } }) });
      return { state: step.state(true), frames: step.frames };
    case 'run.cancelled':
      step.closeOpen('incomplete');
      step.closeTools('incomplete');
      step.usage = event.usage;
      step.status = 'cancelled';
      step.emit('response.incomplete', { response: step.response() });
      return { state: step.state(true), frames: step.frames };
    default:
      break;
  }
  return { state: step.state(false), frames: step.frames };
}

/** Folds a sequence of events at once (the response object of a logged run, tests). */
export function foldResponsesEvents(identity: ResponseIdentity, events: Iterable<RunEvent>, state: ResponsesStreamState = initialResponsesStreamState()): ResponsesFoldStep {
  const frames: ResponseStreamFrame[] = [];
  let current = state;
  for (const event of events) {
    const step = foldResponsesStream(identity, current, event);
    current = step.state;
    frames.push(...step.frames);
  }
  return { state: current, frames };
}
