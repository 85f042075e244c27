/**
 * `npm run bench:flood`: fairness while one upstream floods. The mock upstream
 * sends one huge answer (`--chunks`, default 100,000) as fast as it can; a
 * client reads it through Parley's `/v1/chat/completions`, at full speed or as
 * a trickle (`--reader-kib-per-second`, for at most `--reader-seconds`), while
 * another polls `GET /health` every `--every-ms` (10) and times each answer.
 * It prints `/health` latency before and during the flood (p50, p99, max),
 * Parley's RSS before and at its peak during the flood (sampled every 50 ms),
 * and the flood's rate, and writes them as JSON. A measurement: it never fails
 * on figures. `--entry` runs another build (a copied `dist/cli/index.js`) for A/B.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { COMMON_OPTIONS, commonSettings, commonUsageRows, SOURCE_OPTION } from './lib/common-options.js';
import { numberOption, OptionError, usage } from './lib/options.js';
import { CAN_PIN, LOAD_CORE, pinSelf, startMockUpstream, startParley } from './lib/processes.js';
import { memoryBytes } from './lib/proc.js';
import { percentile } from './lib/stats.js';

const FLOOD_OUT = 'bench/results/flood-latest.json';
const USAGE = usage('npm run bench:flood [-- options]', [
  ['--chunks N', 'chunks of the flooding answer, default 100000', 'BENCH_FLOOD_CHUNKS'],
  ['--every-ms N', 'pause between /health requests, default 10', 'BENCH_HEALTH_EVERY_MS'],
  ['--baseline-seconds N', '/health alone before the flood, default 2', 'BENCH_BASELINE_SECONDS'],
  ['--reader-kib-per-second N', 'how fast the client reads the answer, KiB/s; 0 (default) as fast as it can', 'BENCH_READER_KIB_PER_SECOND'],
  ['--reader-seconds N', 'the client leaves after this many seconds, default 0: when the answer ends', 'BENCH_READER_SECONDS'],
  ['--entry FILE', 'Parley CLI entry to run instead of dist/cli/index.js (A/B)'],
  ...commonUsageRows(FLOOD_OUT, true),
]);

const API_KEY = 'bench-key';

/** Latencies of one phase, ms. */
interface Latencies {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function latencies(values: readonly number[]): Latencies {
  return { samples: values.length, p50Ms: percentile(values, 0.5), p99Ms: percentile(values, 0.99), maxMs: Math.max(...values) };
}

/** Polls /health every `everyMs` until `stop` resolves; the latency of each answer, ms. */
async function pollHealth(origin: string, everyMs: number, stop: Promise<unknown>): Promise<number[]> {
  const pool = new Pool(origin, { connections: 1 });
  const times: number[] = [];
  let stopped = false;
  void stop.finally(() => (stopped = true));
  while (!stopped) {
    const started = performance.now();
    const response = await pool.request({ method: 'GET', path: '/health' });
    await response.body.dump();
    times.push(performance.now() - started);
    await new Promise((done) => setTimeout(done, everyMs));
  }
  await pool.close();
  return times;
}

/** How the client reads the flooding answer. */
interface ReaderPace {
  /** Most bytes a second it takes; 0 for as fast as the socket gives them. */
  bytesPerSecond: number;
  /** It leaves (closes the connection) after this many seconds; 0 for never. */
  seconds: number;
}

/**
 * Reads one streamed answer at `pace` (a trickle reader sleeps after each
 * network chunk until its byte budget allows the next, so the socket's window
 * fills and Parley feels backpressure); resolves with its bytes and seconds.
 */
async function flood(origin: string, pace: ReaderPace): Promise<{ bytes: number; seconds: number; complete: boolean }> {
  const pool = new Pool(origin, { connections: 1 });
  const leave = new AbortController();
  const timer = pace.seconds > 0 ? setTimeout(() => leave.abort('reader left'), pace.seconds * 1000) : undefined;
  const started = performance.now();
  let bytes = 0;
  let tail = '';
  let statusCode = 0;
  try {
    const response = await pool.request({
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ model: 'mock-model', messages: [{ role: 'user', content: 'flood' }], stream: true }),
      signal: leave.signal,
    });
    statusCode = response.statusCode;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      tail = (tail + chunk.toString('latin1')).slice(-64);
      if (pace.bytesPerSecond > 0) {
        const due = started + (bytes / pace.bytesPerSecond) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((done) => setTimeout(done, wait));
      }
    }
  } catch (error) {
    if (!leave.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    await pool.close();
  }
  return { bytes, seconds: (performance.now() - started) / 1000, complete: statusCode === 200 && tail.includes('[DONE]') };
}

/** Samples the RSS of `pid` every 50 ms until `stop` resolves; the highest seen, bytes (undefined without /proc). */
async function peakRss(pid: number, stop: Promise<unknown>): Promise<number | undefined> {
  let peak: number | undefined;
  let stopped = false;
  void stop.finally(() => (stopped = true));
  while (!stopped) {
    const rss = memoryBytes(pid)?.rss;
    if (rss !== undefined) peak = Math.max(peak ?? 0, rss);
    await new Promise((done) => setTimeout(done, 50));
  }
  return peak;
}

const MB = 1e6;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      chunks: { type: 'string' },
      'every-ms': { type: 'string' },
      'baseline-seconds': { type: 'string' },
      'reader-kib-per-second': { type: 'string' },
      'reader-seconds': { type: 'string' },
      entry: { type: 'string' },
      ...COMMON_OPTIONS,
      ...SOURCE_OPTION,
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const chunks = numberOption(values.chunks, 'BENCH_FLOOD_CHUNKS', 100_000, { min: 1, integer: true, name: 'chunks' });
  const everyMs = numberOption(values['every-ms'], 'BENCH_HEALTH_EVERY_MS', 10, { min: 0, name: 'every-ms' });
  const baselineSeconds = numberOption(values['baseline-seconds'], 'BENCH_BASELINE_SECONDS', 2, { min: 0.1, name: 'baseline-seconds' });
  const pace: ReaderPace = {
    bytesPerSecond: numberOption(values['reader-kib-per-second'], 'BENCH_READER_KIB_PER_SECOND', 0, { min: 0, name: 'reader-kib-per-second' }) * 1024,
    seconds: numberOption(values['reader-seconds'], 'BENCH_READER_SECONDS', 0, { min: 0, name: 'reader-seconds' }),
  };
  const { out, pin, source, nodeArgs } = commonSettings(values, FLOOD_OUT);
  if (pin) pinSelf(LOAD_CORE);
  const workDir = mkdtempSync(join(tmpdir(), 'parley-flood-'));
  const dataDir = join(workDir, 'data');
  mkdirSync(dataDir);
  const upstream = await startMockUpstream({ source, flags: ['--chunks', String(chunks), '--token-rate', '0'], logFile: join(workDir, 'mock.log'), pin });
  const parley = await startParley({
    source,
    entry: values.entry === undefined ? undefined : resolve(values.entry),
    upstreamUrl: upstream.url,
    apiKey: API_KEY,
    dataDir,
    logFile: join(workDir, 'parley.log'),
    pin,
    nodeArgs,
  }).catch(async (error: unknown) => {
    await upstream.stop();
    throw error;
  });
  try {
    const baseline = await pollHealth(parley.url, everyMs, new Promise((done) => setTimeout(done, baselineSeconds * 1000)));
    const rssBefore = memoryBytes(parley.pid)?.rss;
    const flooding = flood(parley.url, pace);
    const [during, rssPeak] = await Promise.all([pollHealth(parley.url, everyMs, flooding), peakRss(parley.pid, flooding)]);
    const answer = await flooding;
    const result = {
      chunks,
      pinned: pin && CAN_PIN,
      reader: { kibPerSecond: pace.bytesPerSecond / 1024, leftAfterSeconds: pace.seconds },
      flood: { megabytes: answer.bytes / MB, seconds: answer.seconds, megabytesPerSecond: answer.bytes / MB / answer.seconds, complete: answer.complete },
      healthBefore: latencies(baseline),
      healthDuringFlood: latencies(during),
      parleyRss: rssBefore === undefined || rssPeak === undefined ? undefined : { beforeMb: rssBefore / MB, peakMb: rssPeak / MB, growthMb: (rssPeak - rssBefore) / MB },
    };
    const row = (name: string, figures: Latencies) =>
      `${name.padEnd(22)} ${String(figures.samples).padStart(7)}  ${figures.p50Ms.toFixed(2).padStart(8)}  ${figures.p99Ms.toFixed(2).padStart(8)}  ${figures.maxMs.toFixed(2).padStart(8)}`;
    const reader = pace.bytesPerSecond > 0 ? `a reader taking ${pace.bytesPerSecond / 1024} KiB/s` : 'a reader at full speed';
    console.log(`flood (${reader}): ${result.flood.megabytes.toFixed(1)} MB in ${answer.seconds.toFixed(2)} s (${result.flood.megabytesPerSecond.toFixed(1)} MB/s), complete: ${answer.complete}`);
    const { parleyRss } = result;
    if (parleyRss !== undefined) console.log(`Parley RSS: ${parleyRss.beforeMb.toFixed(1)} MB before, ${parleyRss.peakMb.toFixed(1)} MB at its peak (+${parleyRss.growthMb.toFixed(1)} MB)`);
    console.log(`${'GET /health'.padEnd(22)} ${'samples'.padStart(7)}  ${'p50 ms'.padStart(8)}  ${'p99 ms'.padStart(8)}  ${'max ms'.padStart(8)}`);
    console.log(row('before the flood', result.healthBefore));
    console.log(row('during the flood', result.healthDuringFlood));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`written to ${out}`);
  } finally {
    await parley.stop();
    await upstream.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof OptionError ? error.message : error);
  process.exitCode = 1;
});
