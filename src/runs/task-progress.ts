/**
 * A task's status and result, folded from its run's events (seed 000 "Check
 * Thinking Status" / "Get Final Result"). Nothing here keeps a second copy of
 * the answer: the fold is rebuilt from the run event log whenever it is read,
 * and the WebSocket view runs the same fold while it streams. Times come from
 * the events (`at`), so every poll of a given state reports the same time.
 */
import type { RunEvent, ThinkingStep } from './events.js';

/** How a task ended, once it has. */
export type TaskOutcome = 'complete' | 'error' | 'cancelled';

/**
 * `GET /chat/status/{task_id}` (seed 000): the latest thinking step while the
 * model thinks, then `answering`, then `complete` | `error` | `cancelled`.
 * `progress` is 0–100 and reaches 100 only on `complete`; `timestamp` is ISO 8601.
 */
export interface TaskStatus {
  /** `started`, a step status (`analyzing`, `reasoning`, …), `answering`, `complete`, `error` or `cancelled`. */
  status: string;
  /** The step's number; the answer counts as the step after the last thinking step. */
  step: number;
  message: string;
  progress: number;
  timestamp: string;
  /** Only on `error`: the run's error code and message. */
  error?: { code: string; message: string };
}

/**
 * `GET /chat/result/{task_id}` (seed 000). `confidence` and
 * `suggested_followups` are what the model gave in structured thinking (null
 * and [] when it gave none: never invented); `citations` is always [] because
 * no provider Parley speaks to returns citations.
 */
export interface TaskResult {
  thinking_process: ThinkingStep[];
  final_answer: string;
  confidence: number | null;
  citations: string[];
  suggested_followups: string[];
}

/** Progress shown while the answer streams: past every thinking step, short of 100. */
const ANSWERING_PROGRESS = 90;

/** Folds a run's events, in seq order, into a task's status and result. */
export class TaskProgress {
  private readonly steps: ThinkingStep[] = [];
  private answer = '';
  private answering = false;
  private confidence: number | null = null;
  private followups: string[] = [];
  private failure: { code: string; message: string } | undefined;
  private ending: TaskOutcome | undefined;
  /** When the run started, and when the latest event applied was logged, ms since the epoch. */
  private startedAt: number | undefined;
  private latestAt: number | undefined;

  /**
   * The fold of a run whose events have expired from the log: only what the
   * store kept remains (the answer text, how it ended and when it was last
   * written, ISO 8601); the steps and the model's confidence and follow-ups
   * are gone with the events.
   */
  static fromStored(answer: string, outcome: TaskOutcome | undefined, updatedAt: string, failure?: { code: string; message: string }): TaskProgress {
    const progress = new TaskProgress();
    progress.answer = answer;
    progress.answering = answer !== '';
    progress.ending = outcome;
    progress.failure = failure;
    progress.latestAt = Date.parse(updatedAt);
    return progress;
  }

  /** Applies one event; events after the terminal one are ignored. */
  apply(event: RunEvent): void {
    if (this.ending !== undefined) return;
    this.latestAt = event.at;
    switch (event.type) {
      case 'run.started':
        this.startedAt = event.at;
        return;
      case 'thinking.step':
        this.steps.push(event.step);
        return;
      case 'message.delta':
        this.answer += event.text;
        this.answering = true;
        return;
      case 'answer.metadata':
        this.confidence = event.confidence;
        this.followups = [...event.suggested_followups];
        return;
      case 'run.completed':
        this.ending = 'complete';
        return;
      case 'run.failed':
        this.ending = 'error';
        this.failure = event.error;
        return;
      case 'run.cancelled':
        this.ending = 'cancelled';
        return;
      default:
        return;
    }
  }

  /** How the task ended, or undefined while it runs. */
  get outcome(): TaskOutcome | undefined {
    return this.ending;
  }

  /** The run's error code and message, once it failed. */
  get error(): { code: string; message: string } | undefined {
    if (this.ending !== 'error') return undefined;
    return this.failure ?? { code: 'internal_error', message: 'The answer failed.' };
  }

  /** The answer text so far (all message deltas). */
  get finalAnswer(): string {
    return this.answer;
  }

  /**
   * The status. A thinking step carries its own time; the phases without one
   * are stamped with the time of the event that put the task there (`started`
   * with the run's start, `answering` with the latest answer text, an ending
   * with the terminal event). `createdAt` stands in when no event was applied.
   */
  status(createdAt: string): TaskStatus {
    const startedAt = this.startedAt === undefined ? createdAt : new Date(this.startedAt).toISOString();
    const latest = this.latestAt === undefined ? startedAt : new Date(this.latestAt).toISOString();
    const last = this.steps.at(-1);
    const answerStep = (last?.step ?? 0) + 1;
    switch (this.ending) {
      case 'complete':
        return { status: 'complete', step: answerStep, message: 'Answer complete.', progress: 100, timestamp: latest };
      case 'cancelled':
        return { status: 'cancelled', step: this.answering ? answerStep : (last?.step ?? 0), message: 'Cancelled.', progress: this.currentProgress(), timestamp: latest };
      case 'error': {
        const error = this.error ?? { code: 'internal_error', message: 'The answer failed.' };
        return {
          status: 'error',
          step: this.answering ? answerStep : (last?.step ?? 0),
          message: error.message,
          progress: this.currentProgress(),
          timestamp: latest,
          error: { code: error.code, message: error.message },
        };
      }
      default:
        break;
    }
    if (this.answering) return { status: 'answering', step: answerStep, message: 'Writing the answer...', progress: this.currentProgress(), timestamp: latest };
    if (last !== undefined) return { ...last };
    return { status: 'started', step: 0, message: 'Thinking started.', progress: 0, timestamp: startedAt };
  }

  /** The result as it stands (complete once {@link outcome} is set). */
  result(): TaskResult {
    return {
      thinking_process: this.steps.map((step) => ({ ...step })),
      final_answer: this.answer,
      confidence: this.confidence,
      citations: [],
      suggested_followups: [...this.followups],
    };
  }

  private currentProgress(): number {
    const stepped = this.steps.at(-1)?.progress ?? 0;
    return this.answering ? Math.max(stepped, ANSWERING_PROGRESS) : stepped;
  }
}

/** Folds a whole event list (a log snapshot). */
export function foldTaskEvents(events: Iterable<RunEvent>): TaskProgress {
  const progress = new TaskProgress();
  for (const event of events) progress.apply(event);
  return progress;
}
