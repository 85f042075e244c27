/**
 * `npm run bench:flood`: fairness while one upstream floods. The mock upstream
 * sends one huge answer (`--chunks`, default 300,000) as fast as it can; a
 * client reads it through Parley's `/v1/chat/completions` at full speed while
 * another polls `GET /health` every `--every-ms` (10) and times each answer.
 * It prints `/health` latency before and during the flood (p50, p99, max) and
 * the flood's rate, and writes them as JSON. A measurement: it never fails on
 * figures. `--entry` runs another build (a copied `dist/cli/index.js`) for A/B.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { COMMON_OPTIONS, commonSettings, commonUsageRows } from './lib/common-options.js';
import { numberOption, OptionError, usage } from './lib/options.js';
import { CAN_PIN, LOAD_CORE, pinSelf, startMockUpstream, startParley } from './lib/processes.js';
import { percentile } from './lib/stats.js';

const FLOOD_OUT = 'bench/results/flood-latest.json';
const USAGE = usage('npm run bench:flood [-- options]', [
  ['--chunks N', 'chunks of the flooding answer, default 100000', 'BENCH_FLOOD_CHUNKS'],
  ['--every-ms N', 'pause between /health requests, default 10', 'BENCH_HEALTH_EVERY_MS'],
  ['--baseline-seconds N', '/health alone before the flood, default 2', 'BENCH_BASELINE_SECONDS'],
  ['--entry FILE', 'Parley CLI entry to run instead of dist/cli/index.js (A/B)'],
  ...commonUsageRows(FLOOD_OUT, false),
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

/** Reads one streamed answer at full speed; resolves with its bytes and seconds. */
async function flood(origin: string): Promise<{ bytes: number; seconds: number; complete: boolean }> {
  const pool = new Pool(origin, { connections: 1 });
  const started = performance.now();
  const response = await pool.request({
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
    body: JSON.stringify({ model: 'mock-model', messages: [{ role: 'user', content: 'flood' }], stream: true }),
  });
  let bytes = 0;
  let tail = '';
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    tail = (tail + chunk.toString('latin1')).slice(-64);
  }
  await pool.close();
  return { bytes, seconds: (performance.now() - started) / 1000, complete: response.statusCode === 200 && tail.includes('[DONE]') };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      chunks: { type: 'string' },
      'every-ms': { type: 'string' },
      'baseline-seconds': { type: 'string' },
      entry: { type: 'string' },
      ...COMMON_OPTIONS,
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const chunks = numberOption(values.chunks, 'BENCH_FLOOD_CHUNKS', 100_000, { min: 1, integer: true, name: 'chunks' });
  const everyMs = numberOption(values['every-ms'], 'BENCH_HEALTH_EVERY_MS', 10, { min: 0, name: 'every-ms' });
  const baselineSeconds = numberOption(values['baseline-seconds'], 'BENCH_BASELINE_SECONDS', 2, { min: 0.1, name: 'baseline-seconds' });
  const { out, pin } = commonSettings(values, FLOOD_OUT);
  if (pin) pinSelf(LOAD_CORE);
  const workDir = mkdtempSync(join(tmpdir(), 'parley-flood-'));
  const dataDir = join(workDir, 'data');
  mkdirSync(dataDir);
  const upstream = await startMockUpstream({ source: 'dist', flags: ['--chunks', String(chunks), '--token-rate', '0'], logFile: join(workDir, 'mock.log'), pin });
  const parley = await startParley({
    source: 'dist',
    entry: values.entry === undefined ? undefined : resolve(values.entry),
    upstreamUrl: upstream.url,
    apiKey: API_KEY,
    dataDir,
    logFile: join(workDir, 'parley.log'),
    pin,
  }).catch(async (error: unknown) => {
    await upstream.stop();
    throw error;
  });
  try {
    const baseline = await pollHealth(parley.url, everyMs, new Promise((done) => setTimeout(done, baselineSeconds * 1000)));
    const flooding = flood(parley.url);
    const during = await pollHealth(parley.url, everyMs, flooding);
    const answer = await flooding;
    const result = {
      chunks,
      pinned: pin && CAN_PIN,
      flood: { megabytes: answer.bytes / 1e6, seconds: answer.seconds, megabytesPerSecond: answer.bytes / 1e6 / answer.seconds, complete: answer.complete },
      healthBefore: latencies(baseline),
      healthDuringFlood: latencies(during),
    };
    const row = (name: string, figures: Latencies) =>
      `${name.padEnd(22)} ${String(figures.samples).padStart(7)}  ${figures.p50Ms.toFixed(2).padStart(8)}  ${figures.p99Ms.toFixed(2).padStart(8)}  ${figures.maxMs.toFixed(2).padStart(8)}`;
    console.log(`flood: ${result.flood.megabytes.toFixed(1)} MB in ${answer.seconds.toFixed(2)} s (${result.flood.megabytesPerSecond.toFixed(1)} MB/s), complete: ${answer.complete}`);
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
