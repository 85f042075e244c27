/**
 * Runs as the views see them: read a run's record and events, cancel it
 * wherever it runs, read the stored answer of a finished one, and decide
 * which run a stream follows (resume, attach or start). Views get the
 * {@link RunReader} interface; the chat service starts runs through
 * {@link RunService}.
 */
import type { ChatMessage } from '../providers/types.js';
import { ParleyError } from '../errors.js';
import type { ActiveRun, ConversationClaim } from '../runs/directory.js';
import type { ReadOptions, RunEventLog } from '../runs/event-log.js';
import type { RunError, RunEvent, TerminalEvent } from '../runs/events.js';
import type { RunHandle, RunManager, RunSpec } from '../runs/manager.js';
import type { Message, RunRecord, Store } from '../store/index.js';

export type { RunHandle, RunSpec } from '../runs/manager.js';
export type { RunRecord } from '../store/index.js';
export type { ReadOptions } from '../runs/event-log.js';

/** Where a stream resumes: the run, and how far the client got (a position of the view's kind). */
export interface ResumePoint {
  runId: string;
  after: number;
}

/** Which run a stream follows, and from where. */
export interface StreamTarget extends ResumePoint {
  /** Whether the run was started for this request (so an early failure can still be an HTTP status). */
  started: boolean;
  /**
   * Nobody else can read the run (a stateless `/v1` call): the stream consumes
   * it (ReadOptions.consume), so the log holds only what it has not sent yet.
   */
  consume?: boolean;
}

/** How a stream picks its run; see {@link RunReader.resumeOrStart}. */
export interface StreamRequest {
  ownerId: string;
  /** The position a reconnecting client presented (e.g. SSE `Last-Event-ID`). */
  resume?: ResumePoint;
  /** The run to follow from its start when there is nothing to resume, if any (e.g. a conversation's running answer). */
  attach?: () => Promise<string | undefined>;
  /**
   * Starts the run to follow when there is nothing to resume or attach to;
   * resolves with its id. Without it the request only resumes (a WebSocket
   * `resume`): a run of the owner whose events expired is still the target,
   * and the view replays nothing.
   */
  start?: () => Promise<string>;
}

/** What views may do with runs: read and cancel. */
export interface RunReader {
  /** Runs executing on this instance now. */
  readonly activeCount: number;
  /** Whether this instance is shutting down (new runs are refused). */
  readonly draining: boolean;
  /** The owner's run record, or undefined (also for another owner's run). */
  get(ownerId: string, runId: string): Promise<RunRecord | undefined>;
  /**
   * Stops the owner's run wherever it runs; resolves with its terminal event
   * once the outcome is stored, or undefined when no such run is running.
   */
  cancel(ownerId: string, runId: string): Promise<TerminalEvent | undefined>;
  /** The run's events after `afterSeq`, in batches, tailing until the terminal event or `signal` (RunEventLog.read). */
  events(runId: string, afterSeq: number, signal?: AbortSignal, options?: ReadOptions): AsyncIterable<readonly RunEvent[]>;
  /** The run's events so far, or undefined once they expired from the log. */
  snapshot(runId: string): Promise<readonly RunEvent[] | undefined>;
  /**
   * Waits for the run's first output. A run that failed before producing any
   * throws its error, so a view can answer with a real status (502, 504, 429
   * …) instead of a 200 stream that carries an error.
   * @throws ParleyError of the run's `run.failed` event.
   */
  firstOutput(runId: string): Promise<void>;
  /**
   * The stored answer of a run that completed (for views that answer with
   * one JSON body once the run ended).
   * @throws ParleyError of a failed run; `conflict` for a stopped one; `internal_error` when no answer is stored.
   */
  answerOf(handle: RunHandle): Promise<Message>;
  /**
   * Picks the run a stream follows: the run the client resumes (when it is
   * the owner's and its events are still held), else the run `attach` names,
   * else a new one from `start`.
   * @throws ParleyError `run_not_found` for a resume-only request naming no run of the owner; errors of `attach` and `start`.
   */
  resumeOrStart(request: StreamRequest): Promise<StreamTarget>;
}

/** The ParleyError a failed run answers with; its retry hint becomes `Retry-After` in the HTTP error handler. */
export function errorOfRun(error: RunError): ParleyError {
  return new ParleyError(error.code, error.message, { retryAfterSeconds: error.retry_after });
}

/**
 * Anything but a completed run as an error: a body that answers once the run
 * ended cannot carry "partial text, then an error", and must never be a
 * silent truncation.
 * @throws ParleyError of a failed run; `conflict` for a stopped one.
 */
export function requireCompleted(terminal: TerminalEvent): void {
  if (terminal.type === 'run.failed') throw errorOfRun(terminal.error);
  if (terminal.type === 'run.cancelled') {
    throw new ParleyError('conflict', 'The answer was stopped before it completed (cancelled, history cleared or server stopping); send the message again.');
  }
}

/** Runs over the manager (execution), the log (events) and the store (records). */
export class RunService implements RunReader {
  constructor(
    private readonly manager: RunManager,
    private readonly log: RunEventLog,
    private readonly store: Store,
  ) {}

  get activeCount(): number {
    return this.manager.activeCount;
  }

  get draining(): boolean {
    return this.manager.draining;
  }

  /** Starts a run on this instance (see RunManager.start). */
  start(spec: RunSpec): Promise<RunHandle> {
    return this.manager.start(spec);
  }

  /** Reserves a conversation for one new answer (see RunManager.claimConversation). */
  claimConversation(conversationId: string): Promise<ConversationClaim> {
    return this.manager.claimConversation(conversationId);
  }

  /** The run writing into a conversation now, on any instance. */
  activeRun(conversationId: string): Promise<ActiveRun | undefined> {
    return this.manager.activeRun(conversationId);
  }

  /**
   * Checks a model spec and the attachments of `messages` (see RunManager.checkModel).
   * @throws ParleyError `validation_failed` for a malformed `provider:` model spec or an attachment no
   *   provider of it takes; `payload_too_large` for attachments over the limits.
   */
  checkModel(requested: string | null | undefined, messages?: readonly ChatMessage[], partParam?: (index: number) => string): void {
    this.manager.checkModel(requested, messages, partParam);
  }

  /** The model a request that names none gets. */
  defaultModel(): string {
    return this.manager.defaultModel();
  }

  /** Whether the run's events are still held (it can be streamed or resumed). */
  held(runId: string): Promise<boolean> {
    return this.log.has(runId);
  }

  get(ownerId: string, runId: string): Promise<RunRecord | undefined> {
    return this.store.runs.get(ownerId, runId);
  }

  cancel(ownerId: string, runId: string): Promise<TerminalEvent | undefined> {
    return this.manager.cancel(ownerId, runId);
  }

  events(runId: string, afterSeq: number, signal?: AbortSignal, options?: ReadOptions): AsyncIterable<readonly RunEvent[]> {
    return this.log.read(runId, afterSeq, signal, options);
  }

  snapshot(runId: string): Promise<readonly RunEvent[] | undefined> {
    return this.log.snapshot(runId);
  }

  /** Drops an ended run's events once its readers are done (RunEventLog.forget). */
  forget(runId: string): Promise<void> {
    return this.log.forget(runId);
  }

  async firstOutput(runId: string): Promise<void> {
    for await (const batch of this.log.read(runId, 0)) {
      for (const event of batch) {
        // Nothing a client would see: structured thinking closes with (empty) metadata even when the provider failed at once.
        if (event.type === 'run.started' || event.type === 'run.target' || event.type === 'usage' || event.type === 'answer.metadata') continue;
        if (event.type === 'run.failed') throw errorOfRun(event.error);
        return;
      }
    }
  }

  async answerOf(handle: RunHandle): Promise<Message> {
    requireCompleted(await handle.done);
    const answer = handle.conversationId === null || handle.messageId === null ? undefined : await this.store.messages.get(handle.conversationId, handle.messageId);
    if (answer === undefined) throw new ParleyError('internal_error', 'The stored answer was not found.');
    return answer;
  }

  async resumeOrStart(request: StreamRequest): Promise<StreamTarget> {
    const { ownerId, resume, start } = request;
    // Another tenant's run id, or one whose events expired, is as good as none: start afresh.
    if (resume !== undefined && (await this.log.has(resume.runId)) && (await this.store.runs.get(ownerId, resume.runId)) !== undefined) {
      return { ...resume, started: false };
    }
    const attached = await request.attach?.();
    if (attached !== undefined) return { runId: attached, after: 0, started: false };
    if (start !== undefined) return { runId: await start(), after: 0, started: true };
    if (resume !== undefined && (await this.store.runs.get(ownerId, resume.runId)) !== undefined) return { ...resume, started: false };
    throw new ParleyError('run_not_found', 'There is no such run to resume.', { param: 'run_id' });
  }
}
