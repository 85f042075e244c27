/**
 * Observability of one app: metrics, request ids and timing, run logs, and
 * the count of open streams. Built before the run manager (which takes its
 * {@link Observability.runObserver}) and installed on the Fastify instance
 * right after it is created, before any other hook.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../config/types.js';
import type { RunEventPayload } from '../runs/events.js';
import type { RunObserver, RunStart } from '../runs/run.js';
import { installHttpObservability } from './http-hooks.js';
import { ParleyMetrics } from './metrics.js';
import { LoggingRunObserver } from './run-logging.js';
import { MetricsRunObserver } from './run-metrics.js';
import { StreamTracker } from './streams.js';

export { loggerOptions, redactUrl, RequestLogController } from './logging.js';
export { ParleyMetrics } from './metrics.js';
export { ReadinessProbe, type ReadinessReport } from './readiness.js';
export { requestIdFor } from './request-id.js';
export { StreamTracker } from './streams.js';

/** The observability parts of one app. */
export class Observability {
  readonly metrics = new ParleyMetrics();
  /** Open event streams; shutdown waits on it. */
  readonly streams = new StreamTracker((open) => this.metrics.openStreams.set(open));
  /** Metrics and logs of every run; give it to the RunManager. */
  readonly runObserver: RunObserver;
  private logger: FastifyBaseLogger | undefined;

  constructor(config: Readonly<Pick<Config, 'logPrompts'>>) {
    this.runObserver = combineObservers(
      [new MetricsRunObserver(this.metrics), new LoggingRunObserver(() => this.logger, config.logPrompts)],
      () => this.logger,
    );
  }

  /** The app's logger once {@link install} ran; undefined before (core parts built first log nothing until then). */
  get log(): FastifyBaseLogger | undefined {
    return this.logger;
  }

  /** Installs request ids, timing, request metrics and the request scope of run logs. Call before other hooks. */
  install(app: FastifyInstance): void {
    this.logger = app.log;
    installHttpObservability(app, this);
  }
}

/**
 * One observer that forwards to several; a throwing observer is logged and
 * skipped, because a run must never fail for its metrics.
 */
export function combineObservers(observers: RunObserver[], logger: () => FastifyBaseLogger | undefined): RunObserver {
  const each = (call: (observer: RunObserver) => void) => {
    for (const observer of observers) {
      try {
        call(observer);
      } catch (error) {
        logger()?.error({ err: error }, 'run observer failed');
      }
    }
  };
  return {
    started: (run: RunStart) => each((observer) => observer.started?.(run)),
    event: (runId: string, payload: RunEventPayload) => each((observer) => observer.event(runId, payload)),
    storeFailed: (runId: string, error: unknown) => each((observer) => observer.storeFailed(runId, error)),
  };
}
