/**
 * One row of `npm run bench`: a warm-up, CPU per request of the server
 * process over a closed-loop load at concurrency 16, then latency and
 * throughput at concurrency 1 and 32, each phase a separate run.
 */
import { runPhase, type PhaseResult, type Target } from './load.js';
import { cpuMicros } from './proc.js';

/** Concurrency of the CPU phase, and of the two latency phases. */
export const CPU_CONCURRENCY = 16;
export const LATENCY_CONCURRENCIES = { low: 1, high: 32 } as const;

/** How long each phase runs (s). */
export interface PhaseDurations {
  warmupSeconds: number;
  cpuSeconds: number;
  latencySeconds: number;
}

/** CPU used by the server under test during the CPU phase. */
export interface CpuResult {
  /** Server CPU time (user + system) per completed request (µs); null without /proc. */
  microsPerRequest: number | null;
  /** CPU time over wall time: 1 = one core busy the whole phase; null without /proc. */
  coreShare: number | null;
  phase: PhaseResult;
}

/** What a row measured. */
export interface RowMeasurement {
  cpu: CpuResult;
  low: PhaseResult;
  high: PhaseResult;
}

/**
 * Measures `target` served by process `serverPid`. `between` runs before each
 * phase (it clears the mock upstream's request log, which would otherwise
 * grow through the run). Stored scenarios get fresh client names per phase.
 */
export async function measureRow(
  target: Target,
  serverPid: number,
  durations: PhaseDurations,
  between: () => Promise<void>,
): Promise<RowMeasurement> {
  const prefix = `${target.scenario.id}-${Date.now().toString(36)}`;
  if (durations.warmupSeconds > 0) {
    await between();
    await runPhase(target, { concurrency: CPU_CONCURRENCY, seconds: durations.warmupSeconds, clientPrefix: `${prefix}-warm` });
  }
  await between();
  const cpuBefore = cpuMicros(serverPid);
  const cpuPhase = await runPhase(target, { concurrency: CPU_CONCURRENCY, seconds: durations.cpuSeconds, clientPrefix: `${prefix}-cpu` });
  const cpuAfter = cpuMicros(serverPid);
  const used = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  await between();
  const low = await runPhase(target, { concurrency: LATENCY_CONCURRENCIES.low, seconds: durations.latencySeconds, clientPrefix: `${prefix}-c1` });
  await between();
  const high = await runPhase(target, { concurrency: LATENCY_CONCURRENCIES.high, seconds: durations.latencySeconds, clientPrefix: `${prefix}-c32` });
  return {
    cpu: {
      microsPerRequest: used === undefined || cpuPhase.completed === 0 ? null : used / cpuPhase.completed,
      coreShare: used === undefined ? null : used / 1_000_000 / cpuPhase.seconds,
      phase: cpuPhase,
    },
    low,
    high,
  };
}

function median(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const middle = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[middle]! : (finite[middle - 1]! + finite[middle]!) / 2;
}

function medianPhase(phases: readonly PhaseResult[]): PhaseResult {
  const of = (field: 'seconds' | 'perSecond' | 'ttftP50Ms' | 'ttftP99Ms' | 'totalP50Ms' | 'totalP99Ms'): number => median(phases.map((phase) => phase[field]));
  const errorKinds: Record<string, number> = {};
  for (const phase of phases) {
    for (const [message, count] of Object.entries(phase.errorKinds)) errorKinds[message] = (errorKinds[message] ?? 0) + count;
  }
  return {
    concurrency: phases[0]!.concurrency,
    seconds: of('seconds'),
    completed: phases.reduce((sum, phase) => sum + phase.completed, 0),
    perSecond: of('perSecond'),
    ttftP50Ms: of('ttftP50Ms'),
    ttftP99Ms: of('ttftP99Ms'),
    totalP50Ms: of('totalP50Ms'),
    totalP99Ms: of('totalP99Ms'),
    errors: phases.reduce((sum, phase) => sum + phase.errors, 0),
    errorKinds,
  };
}

/**
 * One figure per field over several rounds of the same row: the median of
 * each rate, percentile and CPU figure (the machine's noise moves single
 * rounds), the sum of completed requests and errors. Throws on no rounds.
 */
export function medianOfRounds(rounds: readonly RowMeasurement[]): RowMeasurement {
  if (rounds.length === 0) throw new RangeError('no rounds to combine');
  if (rounds.length === 1) return rounds[0]!;
  const nullableMedian = (values: (number | null)[]): number | null =>
    values.every((value) => value === null) ? null : median(values.filter((value): value is number => value !== null));
  return {
    cpu: {
      microsPerRequest: nullableMedian(rounds.map((round) => round.cpu.microsPerRequest)),
      coreShare: nullableMedian(rounds.map((round) => round.cpu.coreShare)),
      phase: medianPhase(rounds.map((round) => round.cpu.phase)),
    },
    low: medianPhase(rounds.map((round) => round.low)),
    high: medianPhase(rounds.map((round) => round.high)),
  };
}
