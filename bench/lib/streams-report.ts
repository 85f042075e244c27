/**
 * Samples and the summary of `npm run bench:streams`: Parley's RSS and the
 * CPU of each process over time, what the client saw, and the figures the
 * run is judged by (errors, peak RSS, RSS per open stream).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { ParleySource } from './processes.js';
import { cpuMicros, memoryBytes } from './proc.js';
import type { SlowStreamClient, SlowStreamCounts } from './slow-streams.js';
import { percentile, slope } from './stats.js';

/** Settings of a run, as read from flags and environment. */
export interface StreamsSettings {
  streams: number;
  intervalMs: number;
  holdSeconds: number;
  rampSeconds: number;
  timeLimitSeconds: number;
  sourceAddresses: string[];
  environment: Record<string, string>;
  out: string;
  strict: boolean;
  pin: boolean;
  nodeArgs: string[];
  source: ParleySource;
  /** The server measured: Parley, or the minimal relay (bench/relay.ts) as the floor. */
  system: 'parley' | 'relay';
}

/** One point of the timeline. CPU shares are of one core since the previous sample. */
export interface Sample {
  seconds: number;
  open: number;
  flowing: number;
  completed: number;
  failed: number;
  events: number;
  parleyRssBytes: number | null;
  parleyCpu: number | null;
  /** Parley's CPU time since it started (user + system), µs. */
  parleyCpuMicros: number | null;
  upstreamCpu: number | null;
  clientCpu: number;
  /** From Parley's /metrics, every 10th sample; null when not scraped or it did not answer in 2 s. */
  activeRuns: number | null;
  openStreams: number | null;
  /** Parley's event-loop delay p99 (s), prom-client's `nodejs_eventloop_lag_p99_seconds`. */
  eventLoopLagP99: number | null;
}

const MEGABYTE = 1024 * 1024;

function gauge(text: string, name: string): number | null {
  const value = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
  return value === undefined ? null : Number(value);
}

/** Takes samples of the processes and the client's counters. */
export function sampler(options: { parleyPid: number; upstreamPid: number; parleyUrl: string; counts: SlowStreamCounts }) {
  const samples: Sample[] = [];
  let last = { at: performance.now(), parley: cpuMicros(options.parleyPid), upstream: cpuMicros(options.upstreamPid), client: process.cpuUsage() };
  let lastAtMs = Number.NEGATIVE_INFINITY;
  const share = (now: number | undefined, before: number | undefined, wallMs: number): number | null =>
    now === undefined || before === undefined ? null : (now - before) / 1000 / wallMs;

  const unscraped = { activeRuns: null, openStreams: null, eventLoopLagP99: null };
  const scrape = async (): Promise<Pick<Sample, 'activeRuns' | 'openStreams' | 'eventLoopLagP99'>> => {
    try {
      const response = await fetch(`${options.parleyUrl}/metrics`, { signal: AbortSignal.timeout(2000) });
      const text = await response.text();
      return {
        activeRuns: gauge(text, 'parley_active_runs'),
        openStreams: gauge(text, 'parley_open_streams'),
        eventLoopLagP99: gauge(text, 'nodejs_eventloop_lag_p99_seconds'),
      };
    } catch {
      return unscraped;
    }
  };

  return {
    samples,
    lastAtMs: (): number => lastAtMs,
    /** Records a sample at `elapsedMs` since the load started. */
    async take(elapsedMs: number): Promise<void> {
      lastAtMs = elapsedMs;
      const metrics = samples.length % 10 === 0 ? await scrape() : unscraped;
      const now = { at: performance.now(), parley: cpuMicros(options.parleyPid), upstream: cpuMicros(options.upstreamPid), client: process.cpuUsage() };
      const wallMs = Math.max(1, now.at - last.at);
      const clientMicros = now.client.user + now.client.system - last.client.user - last.client.system;
      samples.push({
        seconds: elapsedMs / 1000,
        ...options.counts,
        parleyRssBytes: memoryBytes(options.parleyPid)?.rss ?? null,
        parleyCpu: share(now.parley, last.parley, wallMs),
        parleyCpuMicros: now.parley ?? null,
        upstreamCpu: share(now.upstream, last.upstream, wallMs),
        clientCpu: clientMicros / 1000 / wallMs,
        ...metrics,
      });
      last = now;
    },
    /** One line about the latest sample, for progress on stderr. */
    progressLine(): string {
      const latest = samples.at(-1);
      if (latest === undefined) return 'starting';
      const rss = latest.parleyRssBytes === null ? '–' : `${Math.round(latest.parleyRssBytes / MEGABYTE)} MB`;
      const cpu = latest.parleyCpu === null ? '–' : `${Math.round(latest.parleyCpu * 100)}%`;
      return `t=${latest.seconds.toFixed(0)}s open=${latest.open} flowing=${latest.flowing} done=${latest.completed} failed=${latest.failed} parley rss=${rss} cpu=${cpu}`;
    },
  };
}

function spread(values: readonly number[]) {
  return { p50: percentile(values, 0.5), p99: percentile(values, 0.99), max: values.length === 0 ? Number.NaN : Math.max(...values) };
}

function mean(values: readonly (number | null)[]): number | null {
  const present = values.filter((value): value is number => value !== null);
  return present.length === 0 ? null : present.reduce((sum, value) => sum + value, 0) / present.length;
}

/** Parley's CPU µs per event the client received, from the first sample with a CPU reading to the last. */
function microsPerEvent(samples: readonly Sample[]): number | null {
  const measured = samples.filter((sample) => sample.parleyCpuMicros !== null);
  const first = measured[0];
  const last = measured.at(-1);
  if (first === undefined || last === undefined || last.events <= first.events) return null;
  return (last.parleyCpuMicros! - first.parleyCpuMicros!) / (last.events - first.events);
}

/** Warnings and errors in Parley's JSON log: how many of each level, and each message's count. */
function logProblems(logFile: string | undefined): { warnings: number; errors: number; messages: Record<string, number> } {
  const problems = { warnings: 0, errors: 0, messages: {} as Record<string, number> };
  if (logFile === undefined) return problems;
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 0);
    if (level < 40) continue;
    if (level >= 50) problems.errors += 1;
    else problems.warnings += 1;
    const message = /"msg":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? line.slice(0, 120);
    problems.messages[message] = (problems.messages[message] ?? 0) + 1;
  }
  return problems;
}

/** What a run is judged by; sizes in bytes, times in milliseconds unless named. */
export type StreamsSummary = ReturnType<typeof summarize>;

/**
 * The figures of a run. RSS growth per open stream is the least-squares slope
 * of Parley's RSS over the number of open streams while they were being
 * opened (up to the peak), which leaves out the process's fixed size.
 */
export function summarize(input: {
  settings: StreamsSettings;
  client: SlowStreamClient;
  samples: readonly Sample[];
  startedAtMs: number;
  baseline: { rss: number; peak: number } | undefined;
  peak: { rss: number; peak: number } | undefined;
  parleyLog?: string;
  warmupErrors: number;
  /** Machine-wide accept-queue overflows during the run. */
  listenOverflows: number | null;
}) {
  const { client, samples } = input;
  const peakIndex = samples.reduce((best, sample, index) => (sample.open > samples[best]!.open ? index : best), 0);
  const ramp = samples.slice(0, peakIndex + 1).filter((sample) => sample.parleyRssBytes !== null);
  const atPeak = samples[peakIndex];
  const busy = samples.filter((sample) => sample.open > 0);
  const firstFailure = client.firstFailure;
  return {
    requested: input.settings.streams,
    opened: client.counts.opened,
    completed: client.counts.completed,
    failed: client.counts.failed,
    errors: client.errors.toJSON(),
    firstFailure:
      firstFailure === undefined
        ? null
        : { afterSeconds: (firstFailure.atMs - input.startedAtMs) / 1000, reason: firstFailure.reason, open: firstFailure.open, flowing: firstFailure.flowing },
    warmupErrors: input.warmupErrors,
    peakOpen: atPeak?.open ?? 0,
    peakFlowing: Math.max(0, ...samples.map((sample) => sample.flowing)),
    peakActiveRuns: Math.max(0, ...samples.map((sample) => sample.activeRuns ?? 0)),
    /** Worst event-loop delay p99 Parley reported (ms); null if no scrape answered. */
    worstEventLoopLagMs: samples.some((sample) => sample.eventLoopLagP99 !== null)
      ? Math.max(...samples.map((sample) => (sample.eventLoopLagP99 ?? 0) * 1000))
      : null,
    scrapesUnanswered: samples.filter((sample, index) => index % 10 === 0 && sample.activeRuns === null).length,
    listenOverflows: input.listenOverflows,
    firstTokenMs: spread(client.firstTokenMs),
    maxGapMs: spread(client.maxGapMs),
    rss: {
      baseline: input.baseline?.rss ?? null,
      peak: input.peak?.peak ?? null,
      atPeakOpen: atPeak?.parleyRssBytes ?? null,
      perOpenStream: slope(ramp.map((sample) => ({ x: sample.open, y: sample.parleyRssBytes! }))),
    },
    cpu: {
      parley: mean(busy.map((sample) => sample.parleyCpu)),
      /** Parley's CPU per SSE event delivered (µs), over the whole run: opening, streaming and closing included. */
      parleyMicrosPerEvent: microsPerEvent(samples),
      upstream: mean(busy.map((sample) => sample.upstreamCpu)),
      client: mean(busy.map((sample) => sample.clientCpu)),
    },
    parleyLog: logProblems(input.parleyLog),
  };
}

function megabytes(bytes: number | null): string {
  return bytes === null ? '–' : `${(bytes / MEGABYTE).toFixed(0)} MB`;
}

function percent(share: number | null): string {
  return share === null ? '–' : `${(share * 100).toFixed(0)}%`;
}

function times({ p50, p99, max }: { p50: number; p99: number; max: number }): string {
  const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(0) : '–');
  return `p50 ${ms(p50)} / p99 ${ms(p99)} / max ${ms(max)} ms`;
}

/** The report printed at the end of a run. */
export function formatStreamsReport(summary: StreamsSummary, context: { pinned: boolean; chunks: number; settings: StreamsSettings }): string {
  const { settings } = context;
  const name = settings.system === 'relay' ? 'relay' : 'Parley';
  const perStream = summary.rss.perOpenStream;
  const lines = [
    `${settings.streams} streams of ${context.chunks} chunks, one every ${settings.intervalMs} ms, opened over ${settings.rampSeconds} s; ` +
      `${context.pinned ? `load + mock on core 0, ${name} on core 1` : 'processes not pinned'}; ${settings.system === 'relay' ? 'the relay (bench/relay.ts)' : `Parley from ${settings.source}`}`,
    '',
    `streams      opened ${summary.opened}, completed ${summary.completed}, failed ${summary.failed}`,
    `peak         ${summary.peakOpen} open, ${summary.peakFlowing} receiving tokens at once, ${summary.peakActiveRuns} active runs (Parley's gauge)`,
    `first token  ${times(summary.firstTokenMs)}`,
    // The paced mock sends the usage chunk Parley asks for one interval after the finish chunk.
    `longest gap  ${times(summary.maxGapMs)} within an answer (chunks ${settings.intervalMs} ms apart; ${2 * settings.intervalMs} ms is the floor through a server)`,
    `${name} RSS   ${megabytes(summary.rss.baseline)} before, ${megabytes(summary.rss.atPeakOpen)} at peak open, ${megabytes(summary.rss.peak)} peak; ` +
      `${Number.isFinite(perStream) ? `${(perStream / 1024).toFixed(1)} KB` : '–'} per open stream`,
    `CPU          ${name} ${percent(summary.cpu.parley)}, mock ${percent(summary.cpu.upstream)}, client ${percent(summary.cpu.client)} of a core while streams were open; ` +
      `${name} ${summary.cpu.parleyMicrosPerEvent === null ? '–' : summary.cpu.parleyMicrosPerEvent.toFixed(1)} µs per event delivered`,
    `event loop   Parley's worst p99 delay ${summary.worstEventLoopLagMs === null ? '–' : `${summary.worstEventLoopLagMs.toFixed(0)} ms`}; ` +
      `${summary.scrapesUnanswered} /metrics scrapes unanswered in 2 s; ` +
      `${summary.listenOverflows ?? '–'} accept-queue overflows on the machine`,
  ];
  if (summary.firstFailure !== null) {
    const { afterSeconds, reason, open, flowing } = summary.firstFailure;
    lines.push(`first error  after ${afterSeconds.toFixed(1)} s with ${open} open (${flowing} receiving tokens): ${reason}`);
  }
  for (const [message, count] of Object.entries(summary.errors)) lines.push(`  ${count} × ${message}`);
  const log = summary.parleyLog;
  if (log.warnings + log.errors > 0) {
    lines.push(`Parley log   ${log.warnings} warnings, ${log.errors} errors`);
    for (const [message, count] of Object.entries(log.messages).slice(0, 10)) lines.push(`  ${count} × ${message}`);
  }
  return lines.join('\n');
}
