/**
 * Records runs into the metrics: time to first token, tokens, outcomes,
 * upstream errors, active runs. A {@link RunObserver} given to the
 * RunManager, so every surface is measured the same way.
 */
import { performance } from 'node:perf_hooks';
import type { RunEventPayload } from '../runs/events.js';
import type { RunObserver, RunStart } from '../runs/run.js';
import { BoundedLabel, type ParleyMetrics } from './metrics.js';

/** What is remembered of a running run, ms from `performance.now()`. */
interface RunningRun {
  surface: string;
  provider: string;
  model: string;
  startedAt: number;
  firstTokenSeen: boolean;
}

/** Terminal event type → `outcome` label. */
const OUTCOMES = { 'run.completed': 'completed', 'run.failed': 'failed', 'run.cancelled': 'cancelled' } as const;

/** Feeds {@link ParleyMetrics} from run events. */
export class MetricsRunObserver implements RunObserver {
  private readonly running = new Map<string, RunningRun>();
  private readonly models = new BoundedLabel();

  constructor(private readonly metrics: ParleyMetrics) {}

  started(run: RunStart): void {
    this.running.set(run.id, {
      surface: run.surface,
      provider: run.provider,
      model: this.models.of(run.model),
      startedAt: performance.now(),
      firstTokenSeen: false,
    });
    this.metrics.activeRuns.set(this.running.size);
  }

  event(runId: string, payload: RunEventPayload): void {
    const run = this.running.get(runId);
    if (run === undefined) return;
    switch (payload.type) {
      case 'run.target':
        // A fallback run is measured under the target that served it, not the first of its list.
        run.provider = payload.provider;
        run.model = this.models.of(payload.model);
        return;
      case 'message.delta':
      case 'reasoning.delta':
        if (!run.firstTokenSeen) {
          run.firstTokenSeen = true;
          this.metrics.timeToFirstToken.observe({ provider: run.provider, model: run.model }, secondsSince(run.startedAt));
        }
        return;
      case 'run.completed':
      case 'run.failed':
      case 'run.cancelled': {
        const outcome = OUTCOMES[payload.type];
        this.running.delete(runId);
        this.metrics.activeRuns.set(this.running.size);
        this.metrics.runs.inc({ surface: run.surface, outcome });
        this.metrics.runDuration.observe({ provider: run.provider, model: run.model, outcome }, secondsSince(run.startedAt));
        if (payload.type === 'run.failed') this.metrics.upstreamErrors.inc({ code: payload.error.code });
        // Usage is counted once, from the terminal event, which carries the run's final figures.
        const { usage } = payload;
        this.metrics.tokens.inc({ model: run.model, direction: 'prompt' }, usage.prompt_tokens);
        this.metrics.tokens.inc({ model: run.model, direction: 'completion' }, usage.completion_tokens);
        this.metrics.tokens.inc({ model: run.model, direction: 'reasoning' }, usage.reasoning_tokens);
        return;
      }
      default:
        return;
    }
  }

  storeFailed(): void {
    // Logged by the logging observer; the run's outcome still arrives as its terminal event.
  }
}

function secondsSince(startMs: number): number {
  return (performance.now() - startMs) / 1000;
}
