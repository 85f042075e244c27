/**
 * Measured performance of the seed-002 surface (`GET /api/chat/performance`,
 * seed 002 "Performance Metrics"): every run it starts on this instance is
 * watched from its request to its terminal event by a reader of the run
 * event log, so the figures hold whether or not the client stayed connected.
 * Times are the events' own (`at`). Recent timings are kept in a fixed ring;
 * counts are since startup. The arrival time of each run's request is kept
 * (for the last runs) so that a resumed stream's steps time the first stage
 * from the request, as the live stream did.
 */
import { isTerminal } from '../../../runs/events.js';
import type { RunReader } from '../../../services/runs.js';

/** One finished run's timings, ms. */
interface Sample {
  responseMs: number;
  /** Request to the first answer or reasoning text; null when the run produced none. */
  firstTokenMs: number | null;
}

/** What the performance route reports; times in seconds (as seed 002's `avg_response_time`). */
export interface PerformanceFigures {
  /** Runs started since startup. */
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

/** One key's counts and recent samples: figures are per key, never across tenants. */
interface OwnerFigures {
  samples: Sample[];
  nextSlot: number;
  counts: { total: number; completed: number; failed: number; cancelled: number };
}

/** Timings of one surface's runs, kept per owning key. */
export class SurfacePerformance {
  private readonly owners = new Map<string, OwnerFigures>();
  /** Request arrival time of each run, ms. */
  private readonly requests = new Map<string, number>();

  /**
   * @param capacity finished runs kept for averages and percentiles.
   * @param remembered runs whose request time is kept (oldest dropped first).
   */
  constructor(
    private readonly runs: Pick<RunReader, 'events'>,
    private readonly capacity = 1000,
    private readonly remembered = 1000,
  ) {}

  /** Starts watching a run `ownerId` started on this surface; `requestAt` is when its request arrived, ms. */
  track(runId: string, requestAt: number, ownerId: string): void {
    const owner = this.owner(ownerId);
    owner.counts.total += 1;
    this.requests.set(runId, requestAt);
    for (const oldest of this.requests.keys()) {
      if (this.requests.size <= this.remembered) break;
      this.requests.delete(oldest);
    }
    void this.watch(runId, requestAt, owner);
  }

  private owner(ownerId: string): OwnerFigures {
    let owner = this.owners.get(ownerId);
    if (owner === undefined) {
      owner = { samples: [], nextSlot: 0, counts: { total: 0, completed: 0, failed: 0, cancelled: 0 } };
      this.owners.set(ownerId, owner);
    }
    return owner;
  }

  /** When the request that started the run arrived, ms; undefined for runs this surface did not start or forgot. */
  requestTimeOf(runId: string): number | undefined {
    return this.requests.get(runId);
  }

  /** The owner's figures now. */
  figures(ownerId: string): PerformanceFigures {
    const { samples, counts } = this.owner(ownerId);
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

  private async watch(runId: string, requestAt: number, owner: OwnerFigures): Promise<void> {
    let firstTokenMs: number | null = null;
    for await (const batch of this.runs.events(runId, 0)) {
      for (const event of batch) {
        if (firstTokenMs === null && (event.type === 'message.delta' || event.type === 'reasoning.delta')) firstTokenMs = event.at - requestAt;
        if (!isTerminal(event)) continue;
        if (event.type === 'run.completed') owner.counts.completed += 1;
        else if (event.type === 'run.failed') owner.counts.failed += 1;
        else owner.counts.cancelled += 1;
        this.record(owner, { responseMs: event.at - requestAt, firstTokenMs });
      }
    }
  }

  private record(owner: OwnerFigures, sample: Sample): void {
    if (owner.samples.length < this.capacity) owner.samples.push(sample);
    else owner.samples[owner.nextSlot] = sample;
    owner.nextSlot = (owner.nextSlot + 1) % this.capacity;
  }
}
