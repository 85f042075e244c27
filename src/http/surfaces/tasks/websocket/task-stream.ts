/**
 * Maps a task's run events to `WS /ws/chat` messages: `thinking_step` per
 * step, the answer re-cut into `answer_chunk`s of exactly `CHUNK_SIZE`
 * characters (the last one may be shorter), then `complete` — or `cancelled`
 * or `error` when the run did not finish.
 *
 * The mapping is a fold over the event sequence, so numbering the messages
 * it yields (`seq`, from 1) gives every task one fixed message stream. That
 * is what makes resume exact: a chunk can hold text of several deltas, and
 * one delta can fill several chunks, so the run log's own seq cannot name a
 * position between two chunks, but a message number can.
 */
import type { RunEvent } from '../../../../runs/events.js';
import { TaskProgress } from '../../../../runs/task-progress.js';
import type { TaskSnapshot } from '../../../../services/tasks.js';
import type { StreamView } from '../../../streaming/stream-view.js';
import type { EndingMessage, StreamMessageBody } from './messages.js';

/** The fold's state: the task's progress and the answer text not yet cut into chunks. */
export interface TaskStreamState {
  progress: TaskProgress;
  pending: string;
  /** Length of `pending` in code points (CHUNK_SIZE counts characters). */
  pendingLength: number;
}

/**
 * The `WS /ws/chat` view of a task's run. Resumable by message number (`seq`,
 * set by the session from the fold's frame number); a failure, even before
 * output, is an `error` message.
 * @param chunkSize characters per `answer_chunk` (`CHUNK_SIZE`), at least 1.
 */
export function taskStreamView(taskId: string, chunkSize: number): StreamView<TaskStreamState, StreamMessageBody> {
  return {
    resume: 'frame',
    earlyFailure: 'event',
    initial: () => ({ progress: new TaskProgress(), pending: '', pendingLength: 0 }),
    map: (state, event) => mapEvent(state, event, taskId, chunkSize),
  };
}

function mapEvent(state: TaskStreamState, event: RunEvent, task_id: string, chunkSize: number): StreamMessageBody[] | undefined {
  state.progress.apply(event);
  switch (event.type) {
    case 'thinking.step':
      return [{ type: 'thinking_step', step: event.step, task_id }];
    case 'message.delta': {
      state.pending += event.text;
      state.pendingLength += codePoints(event.text);
      const chunks: StreamMessageBody[] = [];
      while (state.pendingLength >= chunkSize) chunks.push(chunk(state, chunkSize, task_id));
      return chunks;
    }
    case 'run.completed':
    case 'run.cancelled':
    case 'run.failed': {
      const messages: StreamMessageBody[] = state.pendingLength > 0 ? [chunk(state, state.pendingLength, task_id)] : [];
      messages.push(endingMessage(task_id, state.progress));
      return messages;
    }
    default:
      return undefined;
  }
}

function chunk(state: TaskStreamState, size: number, task_id: string): StreamMessageBody {
  // Cut after `size` code points, never inside a surrogate pair. Spreading a
  // whole delta into an array instead overflowed the stack on long deltas.
  let end = 0;
  for (let counted = 0; counted < size; counted += 1) end += state.pending.codePointAt(end)! > 0xffff ? 2 : 1;
  const text = state.pending.slice(0, end);
  state.pending = state.pending.slice(end);
  state.pendingLength -= size;
  return { type: 'answer_chunk', chunk: text, task_id };
}

/** Length of `text` in code points. */
function codePoints(text: string): number {
  let count = 0;
  for (let index = 0; index < text.length; index += 1) {
    const unit = text.charCodeAt(index);
    // A high surrogate followed by its low half is one character.
    if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) index += 1;
    count += 1;
  }
  return count;
}

function endingMessage(taskId: string, progress: TaskProgress): EndingMessage {
  const result = progress.result();
  switch (progress.outcome) {
    case 'cancelled':
      return { type: 'cancelled', final_answer: result.final_answer, task_id: taskId };
    case 'error': {
      const error = progress.error;
      return { type: 'error', detail: error?.message ?? 'The answer failed.', code: error?.code ?? 'internal_error', task_id: taskId };
    }
    default:
      return { type: 'complete', ...result, task_id: taskId };
  }
}

/**
 * The ending of a task whose run events expired from the log, from what the
 * store kept (no steps, no seq: there is no stream left to number). Undefined
 * while it still runs.
 */
export function endingFromSnapshot(snapshot: TaskSnapshot): EndingMessage | undefined {
  const task_id = snapshot.record.taskId;
  switch (snapshot.outcome) {
    case 'complete':
      return { type: 'complete', ...snapshot.result, task_id };
    case 'cancelled':
      return { type: 'cancelled', final_answer: snapshot.result.final_answer, task_id };
    case 'error':
      return { type: 'error', detail: snapshot.status.error?.message ?? 'The answer failed.', code: snapshot.status.error?.code ?? 'internal_error', task_id };
    default:
      return undefined;
  }
}
