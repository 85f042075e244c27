/**
 * Tasks of seed 000's polling and WebSocket API. A task is its run: the task
 * id is the run id, and what a task needs beyond the run (the seed's
 * `user_id`, the thinking mode a regenerate repeats) is on the run row and
 * its conversation. So any instance that sees the database answers for any
 * task, and task ids survive a restart. Status and result are folded from the
 * run's events (task-progress.ts) while the log holds them, else from the
 * stored message.
 *
 * Tasks are readable for PARLEY_TASK_TTL_SECONDS after their start, and only
 * the PARLEY_TASK_MAX newest are (the seed's "2000 tasks max, 1 hour TTL"):
 * an older one is forgotten, like the seed's thinking cache forgets it.
 */
import { ParleyError } from '../errors.js';
import { foldTaskEvents, TaskProgress, type TaskOutcome, type TaskResult, type TaskStatus } from '../runs/task-progress.js';
import { THINKING_MODES, type ThinkingMode } from '../runs/thinking/index.js';
import type { Store, TASK_SURFACES, TaskRunRecord } from '../store/index.js';
import type { ChatService } from './chat.js';
import type { RunHandle, RunService } from './runs.js';

export { TASK_SURFACES } from '../store/index.js';

/** A surface that starts tasks. */
export type TaskSurface = (typeof TASK_SURFACES)[number];

/** A task: its run and the seed fields it carries. */
export interface TaskRecord {
  /** The seed's `task_id`; equal to `runId`. */
  taskId: string;
  runId: string;
  /** Tenant; another tenant's task is "not found". */
  ownerId: string;
  conversationId: string;
  /** The run's assistant message, read when the run's events have expired. */
  messageId: string;
  /** The seed's `user_id`: the external id of the conversation. */
  userId: string;
  /** Thinking mode the task ran with; a regenerate repeats it. */
  thinking: ThinkingMode;
  /** Start time, ms since the epoch. */
  createdAt: number;
}

/** A task as read now: its record, whether it ended, its status and result. */
export interface TaskSnapshot {
  record: TaskRecord;
  /** Undefined while the run is still going. */
  outcome: TaskOutcome | undefined;
  status: TaskStatus;
  result: TaskResult;
}

/** A new task: the user's message in the conversation `userId` names. */
export interface StartTaskRequest {
  ownerId: string;
  userId: string;
  message: string;
  /** Per-message model override, stored on the user message. */
  model?: string | null;
  /** Default: the configured mode (`PARLEY_TASK_THINKING`). */
  thinking?: ThinkingMode;
  /** Surface recorded on the run. */
  surface: TaskSurface;
  /** `X-Request-ID` of the request, for the run's log lines. */
  requestId?: string;
}

/** Limits and defaults of tasks. */
export interface TaskOptions {
  /** Most tasks readable: older ones are forgotten (`PARLEY_TASK_MAX`). */
  maxTasks: number;
  /** Seconds a task stays readable after its start (`PARLEY_TASK_TTL_SECONDS`). */
  ttlSeconds: number;
  /** Thinking mode of tasks that name none (`PARLEY_TASK_THINKING`). */
  thinking: ThinkingMode;
  /** Clock, ms since the epoch; tests replace it. */
  now?: () => number;
}

function notFound(taskId: string): ParleyError {
  return new ParleyError('task_not_found', `Task ${taskId} was not found; it may have expired.`, { param: 'task_id' });
}

const OUTCOMES: Record<string, TaskOutcome | undefined> = { complete: 'complete', failed: 'error', cancelled: 'cancelled', interrupted: 'cancelled' };

function thinkingMode(value: string | null, fallback: ThinkingMode): ThinkingMode {
  return THINKING_MODES.find((mode) => mode === value) ?? fallback;
}

/** Starts tasks and answers what they are doing. */
export class TaskService {
  private readonly now: () => number;

  constructor(
    private readonly chat: ChatService,
    private readonly runs: RunService,
    private readonly store: Store,
    private readonly options: TaskOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Stores the user's message in the conversation of `userId` (created on first
   * use, so it shows in `/conversations` too) and starts the run answering it.
   * @throws ParleyError `conflict` (409) while an answer is still being written
   *   in that conversation; errors of `ChatService.answer` otherwise.
   */
  async start(request: StartTaskRequest): Promise<TaskRecord> {
    const thinking = request.thinking ?? this.options.thinking;
    const { handle } = await this.chat.startTurn({
      ownerId: request.ownerId,
      externalId: request.userId,
      message: request.message,
      model: request.model,
      surface: request.surface,
      thinking,
      requestId: request.requestId,
    });
    return this.recordOf(handle, request.ownerId, request.userId, thinking);
  }

  /**
   * Seed 000's regenerate: answers the task's question again, with the same
   * model and thinking mode. The new answer becomes the active branch; the old
   * one stays stored as its sibling.
   * @throws ParleyError `task_not_found` for an unknown, expired or another
   *   owner's task, or one of another `user_id`; `conflict` while an answer is
   *   still being written in that conversation.
   */
  async regenerate(request: { ownerId: string; userId: string; lastTaskId: string; surface: TaskSurface; requestId?: string }): Promise<TaskRecord> {
    const previous = await this.find(request.ownerId, request.lastTaskId);
    if (previous.userId !== request.userId) throw notFound(request.lastTaskId);
    const conversation = await this.chat.conversation(request.ownerId, previous.conversationId);
    const handle = await this.chat.regenerate({
      ownerId: request.ownerId,
      conversation,
      surface: request.surface,
      messageId: previous.messageId,
      thinking: previous.thinking,
      requestId: request.requestId,
    });
    return this.recordOf(handle, request.ownerId, request.userId, previous.thinking);
  }

  /**
   * The owner's task.
   * @throws ParleyError `task_not_found` (404) when unknown, expired, forgotten or another owner's.
   */
  async find(ownerId: string, taskId: string): Promise<TaskRecord> {
    const row = await this.store.runs.getTask(ownerId, taskId);
    if (row === undefined || row.conversation_id === null || row.message_id === null) throw notFound(taskId);
    const record = this.fromRow(row, row.conversation_id, row.message_id);
    if (this.now() - record.createdAt >= this.options.ttlSeconds * 1000) throw notFound(taskId);
    if (await this.store.runs.hasNewerTasks(taskId, this.options.maxTasks)) throw notFound(taskId);
    return record;
  }

  /** How many tasks are readable now (started within the TTL, at most PARLEY_TASK_MAX). */
  async count(): Promise<number> {
    return this.store.runs.countTasksSince(this.now() - this.options.ttlSeconds * 1000, this.options.maxTasks);
  }

  /**
   * Stops the task's run wherever it runs: the upstream request is aborted and
   * the partial answer stored as `cancelled`. Resolves once that is stored;
   * false when the run had already ended.
   * @throws ParleyError `task_not_found`.
   */
  async cancel(ownerId: string, taskId: string): Promise<boolean> {
    const record = await this.find(ownerId, taskId);
    return (await this.runs.cancel(ownerId, record.runId)) !== undefined;
  }

  /**
   * The task as it stands: status and result folded from the run's events, or
   * from the stored message once those expired (or after a restart).
   * @throws ParleyError `task_not_found`, also when the conversation was deleted
   *   after the run's events expired.
   */
  async snapshot(ownerId: string, taskId: string): Promise<TaskSnapshot> {
    const record = await this.find(ownerId, taskId);
    const events = await this.runs.snapshot(record.runId);
    const progress = events === undefined ? await this.fromStore(record) : foldTaskEvents(events);
    return { record, outcome: progress.outcome, status: progress.status(new Date(record.createdAt).toISOString()), result: progress.result() };
  }

  private async fromStore(record: TaskRecord): Promise<TaskProgress> {
    const message = await this.store.messages.get(record.conversationId, record.messageId);
    if (message === undefined) throw notFound(record.taskId);
    const failure = message.error_code === null ? undefined : { code: message.error_code, message: message.error_message ?? '' };
    return TaskProgress.fromStored(message.content, OUTCOMES[message.status], message.updated_at, failure);
  }

  private fromRow(row: TaskRunRecord, conversationId: string, messageId: string): TaskRecord {
    return {
      taskId: row.id,
      runId: row.id,
      ownerId: row.owner_id,
      conversationId,
      messageId,
      userId: row.external_id ?? '',
      thinking: thinkingMode(row.thinking, this.options.thinking),
      createdAt: Date.parse(row.created_at),
    };
  }

  private recordOf(handle: RunHandle, ownerId: string, userId: string, thinking: ThinkingMode): TaskRecord {
    if (handle.conversationId === null || handle.messageId === null) {
      throw new ParleyError('internal_error', 'A task run must write into a conversation.');
    }
    return { taskId: handle.id, runId: handle.id, ownerId, conversationId: handle.conversationId, messageId: handle.messageId, userId, thinking, createdAt: this.now() };
  }
}
