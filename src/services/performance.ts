/**
 * Measured performance of the seed-002 surface (`GET /api/chat/performance`,
 * seed 002 "Performance Metrics"): every run that surface starts is watched
 * from its request to its terminal event by a reader of the run event log, so
 * the figures hold whether or not the client stayed connected. Times are the
 * events' own (`at`). Counts and recent timings are kept per owning key (never
 * across tenants) in a {@link PerformanceStore}: in memory for one instance,
 * in Redis (redis/performance.ts) so that every instance with REDIS_URL
 * counts the runs of all. The arrival time of each run's request is kept on
 * the instance that received it (for the last runs) so that a resumed
 * stream's steps time the first stage from the request, as the live stream did.
 */
import { isTerminal } from '../runs/events.js';
import type { RunReader } from './runs.js';

/** One finished run's timings, ms. */
export interface PerformanceSample {
  responseMs: number;
  /** Request to the first answer or reasoning text; null when the run produced none. */
  firstTokenMs: number | null;
}

/** How a run ended. */
export type RunOutcome = 'completed' | 'failed' | 'cancelled';

/** One owner's counts (runs started, and how the finished ones ended) and its most recent samples. */
export interface OwnerPerformance {
  counts: { total: number } & Record<RunOutcome, number>;
  samples: PerformanceSample[];
}

/** Where the counts and samples live; figures are per `ownerId`. */
export interface PerformanceStore {
  /** Counts one run started by the owner. */
  started(ownerId: string): Promise<void>;
  /** Counts one finished run and keeps its sample among the owner's most recent ones. */
  finished(ownerId: string, outcome: RunOutcome, sample: PerformanceSample): Promise<void>;
  /** The owner's counts and recent samples (none for an unknown owner). */
  read(ownerId: string): Promise<OwnerPerformance>;
}

/** What the performance route reports; times in seconds (as seed 002's `avg_response_time`). */
export interface PerformanceFigures {
  /** Runs started (since startup, or with REDIS_URL since the Redis db was emptied). */
  total_requests: number;
  completed_requests: number;
  failed_requests: number;
  cancelled_requests: number;
  /** Finished runs the averages and percentiles are over (the most recent ones). */
  sample_size: number;
  avg_response_time: number;
  p50_response_time: number;
  p95_response_time: number;
  avg_time_to_first_token: number;
  p95_time_to_first_token: number;
}

/** Finished runs kept per owner for averages and percentiles. */
export const PERFORMANCE_SAMPLES = 1000;

/** Seconds, rounded to the millisecond. */
function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

/** Nearest-rank percentile of ascending `values`; 0 when empty. */
function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}

function average(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** The figures of one owner's counts and samples. */
export function performanceFigures({ counts, samples }: OwnerPerformance): PerformanceFigures {
  const response = samples.map((sample) => sample.responseMs).sort((left, right) => left - right);
  const firstToken = samples
    .map((sample) => sample.firstTokenMs)
    .filter((value): value is number => value !== null)
    .sort((left, right) => left - right);
  return {
    total_requests: counts.total,
    completed_requests: counts.completed,
    failed_requests: counts.failed,
    cancelled_requests: counts.cancelled,
    sample_size: samples.length,
    avg_response_time: seconds(average(response)),
    p50_response_time: seconds(percentile(response, 0.5)),
    p95_response_time: seconds(percentile(response, 0.95)),
    avg_time_to_first_token: seconds(average(firstToken)),
    p95_time_to_first_token: seconds(percentile(firstToken, 0.95)),
  };
}

/** {@link PerformanceStore} of one process: a fixed ring of samples per owner. */
export class MemoryPerformanceStore implements PerformanceStore {
  private readonly owners = new Map<string, OwnerPerformance & { nextSlot: number }>();

  /** @param capacity finished runs kept per owner. */
  constructor(private readonly capacity = PERFORMANCE_SAMPLES) {}

  private owner(ownerId: string): OwnerPerformance & { nextSlot: number } {
    let owner = this.owners.get(ownerId);
    if (owner === undefined) {
      owner = { samples: [], nextSlot: 0, counts: { total: 0, completed: 0, failed: 0, cancelled: 0 } };
      this.owners.set(ownerId, owner);
    }
    return owner;
  }

  started(ownerId: string): Promise<void> {
    this.owner(ownerId).counts.total += 1;
    return Promise.resolve();
  }

  finished(ownerId: string, outcome: RunOutcome, sample: PerformanceSample): Promise<void> {
    const owner = this.owner(ownerId);
    owner.counts[outcome] += 1;
    if (owner.samples.length < this.capacity) owner.samples.push(sample);
    else owner.samples[owner.nextSlot] = sample;
    owner.nextSlot = (owner.nextSlot + 1) % this.capacity;
    return Promise.resolve();
  }

  read(ownerId: string): Promise<OwnerPerformance> {
    const { counts, samples } = this.owner(ownerId);
    return Promise.resolve({ counts: { ...counts }, samples: [...samples] });
  }
}

/** Records the seed-002 surface's runs and reports their figures; see the module comment. */
export class PerformanceService {
  /** Request arrival time of each run started here, ms. */
  private readonly requests = new Map<string, number>();

  /**
   * @param remembered runs whose request time is kept (oldest dropped first).
   * @param onError reports a count the store could not take (Redis away). Must not throw.
   */
  constructor(
    private readonly runs: Pick<RunReader, 'events'>,
    private readonly store: PerformanceStore,
    private readonly onError: (error: unknown) => void = () => {},
    private readonly remembered = 1000,
  ) {}

  /** Starts watching a run `ownerId` started; `requestAt` is when its request arrived, ms. */
  track(runId: string, requestAt: number, ownerId: string): void {
    this.requests.set(runId, requestAt);
    for (const oldest of this.requests.keys()) {
      if (this.requests.size <= this.remembered) break;
      this.requests.delete(oldest);
    }
    this.store.started(ownerId).catch(this.onError);
    this.watch(runId, requestAt, ownerId).catch(this.onError);
  }

  /** When the request that started the run arrived, ms; undefined for runs not started here, or forgotten. */
  requestTimeOf(runId: string): number | undefined {
    return this.requests.get(runId);
  }

  /**
   * The owner's figures now.
   * @throws the store's error (Redis unreachable).
   */
  async figures(ownerId: string): Promise<PerformanceFigures> {
    return performanceFigures(await this.store.read(ownerId));
  }

  private async watch(runId: string, requestAt: number, ownerId: string): Promise<void> {
    let firstTokenMs: number | null = null;
    for await (const batch of this.runs.events(runId, 0)) {
      for (const event of batch) {
        if (firstTokenMs === null && (event.type === 'message.delta' || event.type === 'reasoning.delta')) firstTokenMs = event.at - requestAt;
        if (!isTerminal(event)) continue;
        const outcome: RunOutcome = event.type === 'run.completed' ? 'completed' : event.type === 'run.failed' ? 'failed' : 'cancelled';
        await this.store.finished(ownerId, outcome, { responseMs: event.at - requestAt, firstTokenMs });
      }
    }
  }
}
