/**
 * Tasks of seed 000's polling and WebSocket API: a task is a run started by
 * that surface, and its task id is the run id. The registry remembers which
 * tenant, conversation and seed `user_id` a task belongs to, capped in number
 * and age like the seed's thinking cache ("2000 tasks max, 1 hour TTL"), oldest
 * forgotten first. Status and result are never stored here: they are folded
 * from the run event log (see task-progress.ts), and from the stored message
 * once the run's events have expired from the log.
 *
 * The registry is in memory, per process: with several instances a client
 * must poll the instance that started its task.
 */
import { ParleyError } from '../errors.js';
import type { Store } from '../store/index.js';
import type { ChatService } from './chat-service.js';
import type { RunHandle, RunManager } from './manager.js';
import { foldTaskEvents, TaskProgress, type TaskOutcome, type TaskResult, type TaskStatus } from './task-progress.js';
import type { ThinkingMode } from './thinking/index.js';

/** What the registry keeps of a task. */
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
  /** Default: the registry's configured mode (`PARLEY_TASK_THINKING`). */
  thinking?: ThinkingMode;
  /** Surface name recorded on the run (`tasks`, `websocket`). */
  surface: string;
  /** `X-Request-ID` of the request, for the run's log lines. */
  requestId?: string;
}

/** Dependencies and limits of the registry. */
export interface TaskRegistryOptions {
  chat: ChatService;
  runs: RunManager;
  store: Store;
  /** Most tasks remembered (`PARLEY_TASK_MAX`). */
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

/** Starts tasks and answers what they are doing. */
export class TaskRegistry {
  // A Map iterates in insertion order, which is start order: the oldest task is first.
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly now: () => number;

  constructor(private readonly options: TaskRegistryOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Tasks remembered now (expired ones may still count until the next start). */
  get size(): number {
    return this.tasks.size;
  }

  /**
   * Stores the user's message in the conversation of `userId` (created on first
   * use, so it shows in `/conversations` too) and starts the run answering it.
   * @throws ParleyError `conflict` (409) while an answer is still being written
   *   in that conversation; errors of `ChatService.answer` otherwise.
   */
  async start(request: StartTaskRequest): Promise<TaskRecord> {
    const thinking = request.thinking ?? this.options.thinking;
    const { handle } = await this.options.chat.startTurn({
      ownerId: request.ownerId,
      externalId: request.userId,
      message: request.message,
      model: request.model,
      surface: request.surface,
      thinking,
      requestId: request.requestId,
    });
    return this.remember(handle, request.ownerId, request.userId, thinking);
  }

  /**
   * Seed 000's regenerate: answers the task's question again, with the same
   * model and thinking mode. The new answer becomes the active branch; the old
   * one stays stored as its sibling.
   * @throws ParleyError `task_not_found` for an unknown, expired or another
   *   owner's task, or one of another `user_id`; `conflict` while an answer is
   *   still being written in that conversation.
   */
  async regenerate(request: { ownerId: string; userId: string; lastTaskId: string; surface: string; requestId?: string }): Promise<TaskRecord> {
    const previous = this.find(request.ownerId, request.lastTaskId);
    if (previous.userId !== request.userId) throw notFound(request.lastTaskId);
    const conversation = await this.options.chat.conversation(request.ownerId, previous.conversationId);
    const handle = await this.options.chat.regenerate({
      ownerId: request.ownerId,
      conversation,
      surface: request.surface,
      messageId: previous.messageId,
      thinking: previous.thinking,
      requestId: request.requestId,
    });
    return this.remember(handle, request.ownerId, request.userId, previous.thinking);
  }

  /**
   * The owner's task.
   * @throws ParleyError `task_not_found` (404) when unknown, expired or another owner's.
   */
  find(ownerId: string, taskId: string): TaskRecord {
    const record = this.tasks.get(taskId);
    if (record === undefined || record.ownerId !== ownerId) throw notFound(taskId);
    if (this.expired(record)) {
      this.tasks.delete(taskId);
      throw notFound(taskId);
    }
    return record;
  }

  /**
   * Stops the task's run: the upstream request is aborted and the partial
   * answer stored as `cancelled`. Resolves once that is stored; false when the
   * run had already ended.
   * @throws ParleyError `task_not_found`.
   */
  async cancel(ownerId: string, taskId: string): Promise<boolean> {
    const record = this.find(ownerId, taskId);
    return (await this.options.runs.cancel(ownerId, record.runId)) !== undefined;
  }

  /**
   * The task as it stands: status and result folded from the run's events, or
   * from the stored message once those expired.
   * @throws ParleyError `task_not_found`, also when the conversation was deleted
   *   after the run's events expired.
   */
  async snapshot(ownerId: string, taskId: string): Promise<TaskSnapshot> {
    const record = this.find(ownerId, taskId);
    const events = this.options.runs.log.snapshot(record.runId);
    const progress = events === undefined ? await this.fromStore(record) : foldTaskEvents(events);
    const now = new Date(this.now()).toISOString();
    return { record, outcome: progress.outcome, status: progress.status(new Date(record.createdAt).toISOString(), now), result: progress.result() };
  }

  private async fromStore(record: TaskRecord): Promise<TaskProgress> {
    const message = await this.options.store.messages.get(record.conversationId, record.messageId);
    if (message === undefined) throw notFound(record.taskId);
    const failure = message.error_code === null ? undefined : { code: message.error_code, message: message.error_message ?? '' };
    const outcomes: Record<string, TaskOutcome | undefined> = { complete: 'complete', failed: 'error', cancelled: 'cancelled', interrupted: 'cancelled' };
    return TaskProgress.fromStored(message.content, outcomes[message.status], failure);
  }

  private remember(handle: RunHandle, ownerId: string, userId: string, thinking: ThinkingMode): TaskRecord {
    if (handle.conversationId === null || handle.messageId === null) {
      throw new ParleyError('internal_error', 'A task run must write into a conversation.');
    }
    const record: TaskRecord = {
      taskId: handle.id,
      runId: handle.id,
      ownerId,
      conversationId: handle.conversationId,
      messageId: handle.messageId,
      userId,
      thinking,
      createdAt: this.now(),
    };
    this.evict(1);
    this.tasks.set(record.taskId, record);
    return record;
  }

  /** Forgets expired tasks, then the oldest ones until `room` more fit under the cap. */
  private evict(room: number): void {
    for (const [taskId, record] of this.tasks) {
      if (!this.expired(record)) break;
      this.tasks.delete(taskId);
    }
    for (const taskId of this.tasks.keys()) {
      if (this.tasks.size + room <= this.options.maxTasks) break;
      this.tasks.delete(taskId);
    }
  }

  private expired(record: TaskRecord): boolean {
    return this.now() - record.createdAt >= this.options.ttlSeconds * 1000;
  }
}
