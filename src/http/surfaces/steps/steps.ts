/**
 * Seed 002's processing steps (`analyze`, `think`, `output`; "Step-by-Step
 * Processing"), derived from a run's real events, never invented:
 *
 * - `analyze`: the model's ANALYZE section (structured thinking) when it gave
 *   one; otherwise the stage the run went through before the model was
 *   called (which model on which provider), timed from the request.
 * - `think`: the model's THINK section or native reasoning when it gave
 *   some; otherwise how long the model took to begin its answer.
 * - `output`: the answer text; the step that ends the response.
 *
 * Each step's `timestamp` is when that stage was complete, and `duration_ms`
 * how long the stage took, measured from the events' own times (`at`), so a
 * replay of the run yields the very steps the live stream sent.
 */
import type { RunError, RunEvent } from '../../../runs/events.js';
import type { SseMessage } from '../../streaming/sse.js';
import type { StreamView } from '../../streaming/stream-view.js';

/** A step name, in the order a run goes through them. */
export type StepName = 'analyze' | 'think' | 'output';

/** One processing step as `POST /api/chat/send` lists it (seed 002), plus `duration_ms`. */
export interface ProcessingStep {
  step: StepName;
  content: string;
  /** ISO 8601, when the stage was complete. */
  timestamp: string;
  /** How long the stage took, ms. */
  duration_ms: number;
}

/**
 * A step as `POST /api/chat/stream` sends it (seed 002): `is_complete` is true
 * only on the last message, the `output` step. A run that failed or was
 * stopped after it began still ends with `output` (its partial text) and says
 * so in `error` / `cancelled`.
 */
export interface StepMessage extends ProcessingStep {
  is_complete: boolean;
  message_id?: string | null;
  finish_reason?: string;
  error?: Pick<RunError, 'code' | 'message'>;
  cancelled?: true;
}

const PHASES: readonly StepName[] = ['analyze', 'think', 'output'];

/** Turns a run's events into steps as the stages complete. */
export class StepTracker {
  private phase = 0;
  private readonly analysis: string[] = [];
  private readonly thoughts: string[] = [];
  private answer = '';
  private model = '';
  private provider = '';
  /** When the current stage began, ms. */
  private stageBegan: number | undefined;
  /** When the last analysis / thought arrived, ms: the stage was complete then. */
  private lastAnalysisAt: number | undefined;
  private lastThoughtAt: number | undefined;
  private startedAt: number | undefined;

  /** @param requestAt when the request that started the run arrived, ms; unknown: the run's start. */
  constructor(private readonly requestAt?: number) {
    this.stageBegan = requestAt;
  }

  /** Feeds one event; returns the steps it completed (zero to three). */
  push(event: RunEvent): StepMessage[] {
    const { at } = event;
    switch (event.type) {
      case 'run.started':
        this.model = event.model;
        this.provider = event.provider;
        this.startedAt = at;
        this.stageBegan ??= at;
        return [];
      case 'thinking.step':
        if (event.step.status === 'analyzing' && this.phase === 0) {
          this.analysis.push(event.step.message);
          this.lastAnalysisAt = at;
          return [];
        }
        if (this.phase > 1) return [];
        this.thoughts.push(event.step.message);
        this.lastThoughtAt = at;
        return this.advanceTo(1);
      case 'message.delta': {
        const completed = this.advanceTo(2, at);
        this.answer += event.text;
        return completed;
      }
      case 'run.completed':
      case 'run.failed':
      case 'run.cancelled':
        return [...this.advanceTo(2, at), this.final(event, at)];
      default:
        return [];
    }
  }

  /** Ends every stage before `target`; `at` is when the next stage's first output arrived. */
  private advanceTo(target: number, at?: number): StepMessage[] {
    const completed: StepMessage[] = [];
    while (this.phase < target) {
      completed.push(this.phase === 0 ? this.analyzeStep() : this.thinkStep(at));
      this.phase += 1;
    }
    return completed;
  }

  private analyzeStep(): StepMessage {
    if (this.analysis.length > 0) return this.step('analyze', this.analysis.join('\n\n'), this.lastAnalysisAt!);
    const at = this.startedAt ?? this.stageBegan ?? 0;
    return this.step('analyze', `Prepared the request for model ${this.model} on provider ${this.provider}.`, at);
  }

  private thinkStep(answerBegan: number | undefined): StepMessage {
    if (this.thoughts.length > 0) return this.step('think', this.thoughts.join('\n\n'), this.lastThoughtAt!);
    const at = answerBegan ?? this.startedAt ?? 0;
    const waited = Math.max(0, Math.round(at - (this.startedAt ?? at)));
    return this.step('think', `The model gave no separate reasoning; its answer began ${waited} ms after the run started.`, at);
  }

  private final(event: Extract<RunEvent, { type: 'run.completed' | 'run.failed' | 'run.cancelled' }>, at: number): StepMessage {
    this.phase = PHASES.length;
    const message: StepMessage = { ...this.step('output', this.answer, at), is_complete: true, message_id: event.message_id };
    if (event.type === 'run.completed') message.finish_reason = event.finish_reason;
    if (event.type === 'run.failed') message.error = { code: event.error.code, message: event.error.message };
    if (event.type === 'run.cancelled') message.cancelled = true;
    return message;
  }

  private step(step: StepName, content: string, at: number): StepMessage {
    const began = this.stageBegan ?? at;
    this.stageBegan = at;
    return { step, content, timestamp: new Date(at).toISOString(), duration_ms: Math.max(0, Math.round(at - began)), is_complete: false };
  }
}

/** The steps of a finished run, as `POST /api/chat/send` lists them. */
export function processingSteps(events: readonly RunEvent[], requestAt?: number): ProcessingStep[] {
  const tracker = new StepTracker(requestAt);
  const steps: ProcessingStep[] = [];
  for (const event of events) {
    for (const { step, content, timestamp, duration_ms: durationMs } of tracker.push(event)) {
      steps.push({ step, content, timestamp, duration_ms: durationMs });
    }
  }
  return steps;
}

/**
 * `POST /api/chat/stream`'s view: one `data:` message per completed step,
 * each carrying the session id (null when unknown) so a client that started
 * without one learns it. Steps depend on every event before them (the answer
 * is all the deltas), so the view is a fold. Resumable by event id; a failure
 * before output is an HTTP status.
 * @param requestAt when the request that started the run arrived, ms; unknown: the run's start.
 */
export function stepsView(sessionId: string | null, requestAt: number | undefined): StreamView<StepTracker, SseMessage> {
  return {
    resume: 'event',
    earlyFailure: 'status',
    initial: () => new StepTracker(requestAt),
    map: (tracker, event) => tracker.push(event).map((step) => ({ data: JSON.stringify({ ...step, session_id: sessionId }) })),
  };
}
