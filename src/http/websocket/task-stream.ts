/**
 * Maps a task's run events to `WS /ws/chat` messages: `thinking_step` per
 * step, the answer re-cut into `answer_chunk`s of exactly `CHUNK_SIZE`
 * characters (the last one may be shorter), then `complete` — or `cancelled`
 * or `error` when the run did not finish.
 *
 * The mapping is a pure function of the event sequence, so numbering the
 * messages it yields (`seq`, from 1) gives every task one fixed message
 * stream. That is what makes resume exact: a chunk can hold text of several
 * deltas, and one delta can fill several chunks, so the run log's own seq
 * cannot name a position between two chunks, but a message number can.
 */
import type { RunEvent } from '../../runs/events.js';
import { TaskProgress } from '../../runs/task-progress.js';
import type { TaskSnapshot } from '../../runs/tasks.js';
import type { EndingMessage, StreamMessage, StreamMessageBody } from './messages.js';

/** Numbers one task's messages and drops those the client already has. */
export class TaskStreamMapper {
  private readonly progress = new TaskProgress();
  /** Answer text not yet sent, and its length in code points (CHUNK_SIZE counts characters). */
  private pending = '';
  private pendingLength = 0;
  private numbered = 0;

  /**
   * @param chunkSize characters per `answer_chunk` (`CHUNK_SIZE`), at least 1.
   * @param afterSeq messages numbered up to this were received before; they are not yielded again.
   */
  constructor(
    private readonly taskId: string,
    private readonly chunkSize: number,
    private readonly afterSeq = 0,
  ) {}

  /** The messages one event yields, in order; feed every event of the run from seq 1. */
  map(event: RunEvent): StreamMessage[] {
    this.progress.apply(event);
    const bodies: StreamMessageBody[] = [];
    const task_id = this.taskId;
    switch (event.type) {
      case 'thinking.step':
        bodies.push({ type: 'thinking_step', step: event.step, task_id });
        break;
      case 'message.delta':
        this.pending += event.text;
        this.pendingLength += codePoints(event.text);
        while (this.pendingLength >= this.chunkSize) bodies.push(this.chunk(this.chunkSize));
        break;
      case 'run.completed':
      case 'run.cancelled':
      case 'run.failed':
        if (this.pendingLength > 0) bodies.push(this.chunk(this.pendingLength));
        bodies.push(endingMessage(this.taskId, this.progress));
        break;
      default:
        break;
    }
    const messages: StreamMessage[] = [];
    for (const body of bodies) {
      this.numbered += 1;
      if (this.numbered > this.afterSeq) messages.push({ ...body, seq: this.numbered });
    }
    return messages;
  }

  private chunk(size: number): StreamMessageBody {
    // Cut after `size` code points, never inside a surrogate pair. Spreading a
    // whole delta into an array instead overflowed the stack on long deltas.
    let end = 0;
    for (let counted = 0; counted < size; counted += 1) end += this.pending.codePointAt(end)! > 0xffff ? 2 : 1;
    const chunk = this.pending.slice(0, end);
    this.pending = this.pending.slice(end);
    this.pendingLength -= size;
    return { type: 'answer_chunk', chunk, task_id: this.taskId };
  }
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
