/**
 * One `WS /ws/chat` connection: authenticates it, turns client messages into
 * task operations, streams followed tasks from the run event log, and sends
 * `ping` every `HEARTBEAT_INTERVAL` seconds.
 *
 * Client frames are handled one at a time, in arrival order, so an `auth`
 * frame is settled before the message after it; streaming a task runs beside
 * that queue, so a `cancel` is read while the answer streams. Closing the
 * socket only stops the reading: the run goes on, and `resume` (or the polling
 * API) picks it up again.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import WebSocket from 'ws';
import { ParleyError } from '../../../../errors.js';
import type { StreamTarget } from '../../../../services/runs.js';
import type { TaskRecord } from '../../../../services/tasks.js';
import { authenticateKey, type Authenticator, type Principal } from '../../../plugins/auth.js';
import type { AppContext } from '../../../context.js';
import { foldRun } from '../../../streaming/stream-view.js';
import type { ClientMessage, ClientMessageParser, ServerMessage } from './messages.js';
import { endingFromSnapshot, taskStreamView } from './task-stream.js';

/** How long a connection that presented no key may wait before it must send one, ms. */
export const AUTH_TIMEOUT_MS = 10_000;
/** WebSocket close code for a policy violation (RFC 6455 §7.4.1): a bad or missing key. */
const POLICY_VIOLATION = 1008;
const surface = 'websocket' as const;

/** What a session needs. */
export interface ChatSocketSessionOptions {
  context: AppContext;
  authenticator: Authenticator;
  parser: ClientMessageParser;
  socket: WebSocket;
  /** Key from the upgrade request's headers or query, if it carried one. */
  presentedKey: string | undefined;
  /**
   * Counts a task start against the chat rate limits, as the HTTP routes'
   * `startsRun` flag does; throws ParleyError `rate_limited` when a window is full.
   */
  chargeStart: (principal: Principal) => Promise<unknown>;
  /** `X-Request-ID` of the upgrade request, for the runs' log lines. */
  requestId: string;
  logger: FastifyBaseLogger;
}

/** State and handlers of one connection. */
export class ChatSocketSession {
  private principal: Principal | undefined;
  private queue: Promise<void> = Promise.resolve();
  /** Tasks streaming to this socket, by task id; insertion order puts the latest last. */
  private readonly follows = new Map<string, AbortController>();
  /** `user_id` of tasks started without one: this connection's own conversation. */
  private readonly connectionUserId = `ws:${randomUUID()}`;
  private readonly heartbeat: NodeJS.Timeout;
  private authTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: ChatSocketSessionOptions) {
    const { socket, context } = options;
    // The opening step is queued first and listeners are attached before
    // anything is awaited, so no early frame is lost or handled before it.
    this.enqueue(() => this.open());
    socket.on('message', (data: WebSocket.RawData) => this.enqueue(() => this.receive(rawText(data))));
    socket.once('close', () => this.close());
    this.heartbeat = setInterval(() => this.send({ type: 'ping' }), context.config.tasks.heartbeatIntervalSeconds * 1000);
  }

  /** Authenticates with the upgrade request's key, or waits for the first message to bring one. */
  private async open(): Promise<void> {
    const { presentedKey, authenticator } = this.options;
    if (presentedKey !== undefined || !(await authenticator.isEnabled())) {
      await this.authenticate(presentedKey);
      return;
    }
    if (this.closed) return;
    this.authTimer = setTimeout(() => this.reject(new ParleyError('missing_api_key', 'No API key was sent in time.')), AUTH_TIMEOUT_MS);
  }

  private enqueue(work: () => Promise<void>): void {
    this.queue = this.queue.then(work).catch((error: unknown) => this.report(error));
  }

  private async authenticate(key: string | undefined): Promise<void> {
    clearTimeout(this.authTimer);
    try {
      this.principal = await authenticateKey(this.options.authenticator, key);
    } catch (error) {
      this.reject(error);
    }
  }

  private async receive(text: string): Promise<void> {
    if (this.closed) return;
    const parsed = this.options.parser.parse(text);
    if (this.principal === undefined) {
      // Browsers cannot set headers on a WebSocket: the first frame may carry the key.
      if (parsed.apiKey === undefined) {
        this.reject(new ParleyError('missing_api_key', 'An API key is required: send x-api-key, ?api_key=, or {"type": "auth", "api_key": …} first.'));
        return;
      }
      await this.authenticate(parsed.apiKey);
      if (this.principal === undefined) return;
    }
    if (!parsed.ok) {
      this.send({ type: 'error', detail: parsed.detail, code: 'validation_failed' });
      return;
    }
    await this.dispatch(parsed.message, this.principal);
  }

  private async dispatch(message: ClientMessage, principal: Principal): Promise<void> {
    const { runs, tasks } = this.options.context;
    const { ownerId } = principal;
    switch (message.type) {
      case 'start': {
        const userId = message.user_id ?? this.connectionUserId;
        await this.options.chargeStart(principal);
        const target = await runs.resumeOrStart({
          ownerId,
          start: async () =>
            (await tasks.start({ ownerId, userId, message: message.message, model: message.model, thinking: message.thinking, surface, requestId: this.options.requestId })).runId,
        });
        this.follow({ taskId: target.runId, ownerId, userId }, target);
        return;
      }
      case 'resume': {
        // The task first: it says whether the id is one of this key's tasks, still readable.
        const record = await tasks.find(ownerId, message.task_id);
        this.follow(record, await runs.resumeOrStart({ ownerId, resume: { runId: record.runId, after: message.after_seq ?? 0 } }));
        return;
      }
      case 'cancel': {
        const taskId = message.task_id ?? [...this.follows.keys()].at(-1);
        if (taskId === undefined) throw new ParleyError('task_not_found', 'No running task to cancel on this connection; name its task_id.');
        if (!(await tasks.cancel(ownerId, taskId))) throw new ParleyError('conflict', `Task ${taskId} has already finished.`);
        // A task streaming here reports its own `cancelled`; otherwise say so from the store.
        if (!this.follows.has(taskId)) {
          const ending = endingFromSnapshot(await tasks.snapshot(ownerId, taskId));
          if (ending !== undefined) this.send(ending);
        }
        return;
      }
      case 'ping':
        this.send({ type: 'pong' });
        return;
      case 'auth':
      case 'pong':
        return;
    }
  }

  /** Streams a task's messages numbered after the target's position, then live ones, until its end or the socket's. */
  private follow(record: Pick<TaskRecord, 'taskId' | 'ownerId' | 'userId'>, target: StreamTarget): void {
    const { runs, tasks, config } = this.options.context;
    // The socket closed while the task was starting: the run goes on, unread.
    if (this.closed) return;
    this.follows.get(record.taskId)?.abort();
    this.follows.delete(record.taskId);
    const controller = new AbortController();
    this.follows.set(record.taskId, controller);
    this.send({ type: 'connected', task_id: record.taskId, user_id: record.userId });
    const stream = async () => {
      const view = taskStreamView(record.taskId, config.tasks.chunkSize);
      const end = await foldRun(runs.events(target.runId, 0, controller.signal), view, target.after, {
        // The log hands over events already held even after an abort; a replaced follower must not send them.
        frame: (body, position) => {
          if (!controller.signal.aborted) this.send({ ...body, seq: position });
        },
        flush: () => Promise.resolve(!controller.signal.aborted && !this.closed),
      });
      // No events held (they expired): the ending, from what the store kept.
      if (end === 'cut' && !controller.signal.aborted) {
        const ending = endingFromSnapshot(await tasks.snapshot(record.ownerId, record.taskId));
        if (ending !== undefined) this.send(ending);
      }
    };
    void stream()
      .catch((error: unknown) => this.report(error, record.taskId))
      .finally(() => {
        if (this.follows.get(record.taskId) === controller) this.follows.delete(record.taskId);
      });
  }

  private send(message: ServerMessage): void {
    if (this.options.socket.readyState === WebSocket.OPEN) this.options.socket.send(JSON.stringify(message));
  }

  /** Sends a failed operation as an `error` message; the connection stays open. */
  private report(error: unknown, taskId?: string): void {
    const parleyError = error instanceof ParleyError ? error : new ParleyError('internal_error', 'Internal server error.', { cause: error });
    if (parleyError.status >= 500) this.options.logger.error({ err: error }, 'websocket message failed');
    this.send({ type: 'error', detail: parleyError.message, code: parleyError.code, ...(taskId === undefined ? {} : { task_id: taskId }) });
  }

  /** Refuses the connection: an `error` message, then close code 1008. */
  private reject(error: unknown): void {
    this.report(error);
    this.closed = true;
    this.options.socket.close(POLICY_VIOLATION, error instanceof ParleyError ? error.code : 'unauthorized');
  }

  private close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.authTimer);
    // Only the reading stops; the runs go on (DESIGN.md "Run").
    for (const controller of this.follows.values()) controller.abort();
    this.follows.clear();
  }
}

/** A frame's text; `ws` hands over a Buffer, a list of them, or an ArrayBuffer. */
function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}
