/**
 * The AI SDK UI message stream (protocol `v1`, AI SDK 5 and 6) as a pure fold
 * from run events to chunks. Chunk shapes follow `uiMessageChunkSchema` in
 * the `ai` package (src/ui-message-stream/ui-message-chunks.ts); only the
 * fields it declares are sent, since AI SDK 5 parses them with strict
 * objects. Sequencing follows what `processUIMessageStream` requires: a
 * `*-start` before any `*-delta` / `*-end` of the same id, reasoning and text
 * in separate parts, tool input before its `tool-input-available`.
 */
import type { FinishReason, Usage } from '../../../providers/types.js';
import type { RunEvent } from '../../../runs/events.js';

/** Response headers of a UI message stream (the `ai` package's `UI_MESSAGE_STREAM_HEADERS`, minus those the SSE writer sets). */
export const UI_MESSAGE_STREAM_HEADERS = { 'x-vercel-ai-ui-message-stream': 'v1' } as const;

/** What the stream ends with once the terminal chunks are out (`JsonToSseTransformStream`). */
export const UI_MESSAGE_STREAM_TRAILER = '[DONE]';

/** Parley's usage, as message metadata carries it. */
export interface UiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
  cached_tokens: number;
}

/** Message metadata Parley sends: on `start` the run and model, on `finish` the outcome and usage. */
export interface UiMessageMetadata {
  runId?: string;
  model?: string;
  provider?: string;
  status?: 'complete' | 'failed' | 'cancelled' | 'streaming' | 'interrupted';
  finishReason?: string;
  usage?: UiUsage;
  /** Set on stored messages only: the ids of this answer and its sibling answers, oldest first. */
  siblings?: string[];
}

/** The chunks Parley emits (a subset of the `ai` package's `UIMessageChunk`). */
export type UiMessageChunk =
  | { type: 'start'; messageId?: string; messageMetadata?: UiMessageMetadata }
  | { type: 'start-step' }
  | { type: 'finish-step' }
  | { type: 'reasoning-start'; id: string }
  | { type: 'reasoning-delta'; id: string; delta: string }
  | { type: 'reasoning-end'; id: string }
  | { type: 'text-start'; id: string }
  | { type: 'text-delta'; id: string; delta: string }
  | { type: 'text-end'; id: string }
  | { type: 'tool-input-start'; toolCallId: string; toolName: string; dynamic: true }
  | { type: 'tool-input-delta'; toolCallId: string; inputTextDelta: string }
  | { type: 'tool-input-available'; toolCallId: string; toolName: string; input: unknown; dynamic: true }
  | { type: 'error'; errorText: string }
  | { type: 'abort'; reason?: string }
  | { type: 'finish'; finishReason?: 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'error' | 'other'; messageMetadata?: UiMessageMetadata };

interface ToolState {
  toolCallId: string;
  toolName: string;
  input: string;
}

/** Fold state: which parts are open, and the tool calls seen. Treat as immutable. */
export interface UiStreamState {
  /** Id of the open reasoning part, if any. */
  reasoningId: string | null;
  /** Id of the open text part, if any. */
  textId: string | null;
  /** Parts opened so far; numbers the next part's id. */
  parts: number;
  /** Tool calls by stream index. */
  tools: readonly (ToolState | undefined)[];
  /** Whether the terminal chunks were emitted. */
  ended: boolean;
}

/** Result of one fold step. */
export interface UiFoldStep {
  state: UiStreamState;
  chunks: UiMessageChunk[];
}

/** The state before a run's first event. */
export function initialUiStreamState(): UiStreamState {
  return { reasoningId: null, textId: null, parts: 0, tools: [], ended: false };
}

function uiUsage(usage: Usage): UiUsage {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    reasoning_tokens: usage.reasoning_tokens,
    cached_tokens: usage.cached_tokens,
  };
}

/** The AI SDK's finish reason for a completed run. */
export function uiFinishReason(reason: FinishReason): 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'other' {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
      return 'tool-calls';
    case 'content_filter':
      return 'content-filter';
    default:
      return 'other';
  }
}

/** Closes the open reasoning and text parts. */
function closeParts(state: UiStreamState, chunks: UiMessageChunk[]): UiStreamState {
  if (state.reasoningId !== null) chunks.push({ type: 'reasoning-end', id: state.reasoningId });
  if (state.textId !== null) chunks.push({ type: 'text-end', id: state.textId });
  return { ...state, reasoningId: null, textId: null };
}

function parsedInput(text: string): unknown {
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // A model may stream arguments that are not JSON; the client still sees them.
    return text;
  }
}

/**
 * One step of the fold: the chunks an event becomes, and the next state.
 * Events after the terminal one (there are none in a well-formed log) map to nothing.
 */
export function foldUiMessageStream(state: UiStreamState, event: RunEvent): UiFoldStep {
  if (state.ended) return { state, chunks: [] };
  const chunks: UiMessageChunk[] = [];
  switch (event.type) {
    case 'run.started':
      chunks.push(
        { type: 'start', ...(event.message_id === null ? {} : { messageId: event.message_id }), messageMetadata: { runId: event.run_id, model: event.model, provider: event.provider, status: 'streaming' } },
        { type: 'start-step' },
      );
      return { state, chunks };
    case 'reasoning.delta': {
      let next = state;
      if (next.textId !== null) {
        chunks.push({ type: 'text-end', id: next.textId });
        next = { ...next, textId: null };
      }
      if (next.reasoningId === null) {
        next = { ...next, reasoningId: `reasoning-${next.parts}`, parts: next.parts + 1 };
        chunks.push({ type: 'reasoning-start', id: next.reasoningId! });
      }
      chunks.push({ type: 'reasoning-delta', id: next.reasoningId!, delta: event.text });
      return { state: next, chunks };
    }
    case 'message.delta': {
      let next = state;
      if (next.reasoningId !== null) {
        chunks.push({ type: 'reasoning-end', id: next.reasoningId });
        next = { ...next, reasoningId: null };
      }
      if (next.textId === null) {
        next = { ...next, textId: `text-${next.parts}`, parts: next.parts + 1 };
        chunks.push({ type: 'text-start', id: next.textId! });
      }
      chunks.push({ type: 'text-delta', id: next.textId!, delta: event.text });
      return { state: next, chunks };
    }
    case 'tool_call.delta': {
      let next = closeParts(state, chunks);
      const tools = [...next.tools];
      let tool = tools[event.index];
      if (tool === undefined) {
        tool = { toolCallId: event.id ?? `call_${event.index}`, toolName: event.name ?? 'unknown', input: '' };
        chunks.push({ type: 'tool-input-start', toolCallId: tool.toolCallId, toolName: tool.toolName, dynamic: true });
      }
      if (event.arguments !== undefined && event.arguments !== '') {
        tool = { ...tool, input: tool.input + event.arguments };
        chunks.push({ type: 'tool-input-delta', toolCallId: tool.toolCallId, inputTextDelta: event.arguments });
      }
      tools[event.index] = tool;
      next = { ...next, tools };
      return { state: next, chunks };
    }
    case 'run.completed': {
      const next = closeParts(state, chunks);
      for (const tool of next.tools) {
        if (tool !== undefined) chunks.push({ type: 'tool-input-available', toolCallId: tool.toolCallId, toolName: tool.toolName, input: parsedInput(tool.input), dynamic: true });
      }
      chunks.push(
        { type: 'finish-step' },
        { type: 'finish', finishReason: uiFinishReason(event.finish_reason), messageMetadata: { status: 'complete', finishReason: event.finish_reason, usage: uiUsage(event.usage) } },
      );
      return { state: { ...next, ended: true }, chunks };
    }
    case 'run.failed': {
      const next = closeParts(state, chunks);
      chunks.push(
        { type: 'error', errorText: `${event.error.code}: ${event.error.message}` },
        { type: 'finish-step' },
        { type: 'finish', finishReason: 'error', messageMetadata: { status: 'failed', usage: uiUsage(event.usage) } },
      );
      return { state: { ...next, ended: true }, chunks };
    }
    case 'run.cancelled': {
      const next = closeParts(state, chunks);
      chunks.push(
        { type: 'finish-step' },
        { type: 'abort', reason: 'cancelled' },
        { type: 'finish', finishReason: 'other', messageMetadata: { status: 'cancelled', finishReason: 'cancelled', usage: uiUsage(event.usage) } },
      );
      return { state: { ...next, ended: true }, chunks };
    }
    default:
      return { state, chunks };
  }
}

/** Folds a sequence of events at once (tests, and catching up before a resume point). */
export function foldUiMessageEvents(events: Iterable<RunEvent>, state: UiStreamState = initialUiStreamState()): UiFoldStep {
  const chunks: UiMessageChunk[] = [];
  let current = state;
  for (const event of events) {
    const step = foldUiMessageStream(current, event);
    current = step.state;
    chunks.push(...step.chunks);
  }
  return { state: current, chunks };
}
