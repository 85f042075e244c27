/**
 * `npm run bench:streams`: how many slow streams one Parley process holds.
 * The mock upstream sends a chunk every `--interval-ms` (200) for
 * `--hold-seconds` (40) per answer; the client opens `--streams` (8,000)
 * `/v1/chat/completions` streams over `--ramp-seconds` (20), so they are all
 * open at once for a while, and follows them to the end or until the time
 * limit. It reports errors by kind, time to first token, pauses within
 * answers, Parley's baseline and peak RSS, and RSS growth per open stream,
 * and writes the samples as JSON. A measurement: it fails only with `--strict`.
 * Raise the open-files limit first (bench/streams.sh does: `ulimit -n`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { runPhase } from './lib/load.js';
import { COMMON_OPTIONS, commonSettings, commonUsageRows, SOURCE_OPTION } from './lib/common-options.js';
import { environmentPairs, numberOption, OptionError, usage } from './lib/options.js';
import { CAN_PIN, LOAD_CORE, pinSelf, startMockUpstream, startParley, startRelay } from './lib/processes.js';
import { listenOverflows, memoryBytes, openFilesLimit } from './lib/proc.js';
import { FIRST_TOKEN, SCENARIOS } from './lib/scenarios.js';
import { SlowStreamClient } from './lib/slow-streams.js';
import { formatStreamsReport, sampler, summarize, type StreamsSettings } from './lib/streams-report.js';

const STREAMS_OUT = 'bench/results/streams-latest.json';
const USAGE = usage('npm run bench:streams [-- options]', [
  ['--streams N', 'concurrent streams to open, default 8000 (at most 60000)', 'BENCH_STREAMS'],
  ['--interval-ms N', "pause between the mock's chunks, default 200", 'BENCH_INTERVAL_MS'],
  ['--hold-seconds N', 'length of each answer, default 40', 'BENCH_HOLD_SECONDS'],
  ['--ramp-seconds N', 'time over which the streams are opened, default 20', 'BENCH_RAMP_SECONDS'],
  ['--time-limit-seconds N', 'stop everything after this, default ramp + hold + 60', 'BENCH_TIME_LIMIT_SECONDS'],
  ['--source-ips N', 'loopback source addresses 127.0.0.1..N, default 4', 'BENCH_SOURCE_IPS'],
  ['--system parley|relay', 'the server measured: Parley (default), or the minimal relay as the floor', 'BENCH_SYSTEM'],
  ['--env KEY=VALUE', 'extra environment for Parley (repeatable)'],
  ['--strict', 'exit 1 when any stream failed'],
  ...commonUsageRows(STREAMS_OUT, true),
]);

const API_KEY = 'bench-key';
const SAMPLE_EVERY_MS = 500;

function readSettings(): StreamsSettings | undefined {
  const { values } = parseArgs({
    options: {
      streams: { type: 'string' },
      'interval-ms': { type: 'string' },
      'hold-seconds': { type: 'string' },
      'ramp-seconds': { type: 'string' },
      'time-limit-seconds': { type: 'string' },
      'source-ips': { type: 'string' },
      system: { type: 'string' },
      env: { type: 'string', multiple: true },
      strict: { type: 'boolean', default: false },
      ...COMMON_OPTIONS,
      ...SOURCE_OPTION,
    },
  });
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  const streams = numberOption(values.streams, 'BENCH_STREAMS', 8000, { min: 1, integer: true, name: 'streams' });
  if (streams > 60_000) throw new OptionError('--streams is bounded at 60000');
  const holdSeconds = numberOption(values['hold-seconds'], 'BENCH_HOLD_SECONDS', 40, { min: 1, name: 'hold-seconds' });
  const rampSeconds = numberOption(values['ramp-seconds'], 'BENCH_RAMP_SECONDS', 20, { min: 0, name: 'ramp-seconds' });
  const sourceIps = numberOption(values['source-ips'], 'BENCH_SOURCE_IPS', 4, { min: 1, integer: true, name: 'source-ips' });
  if (sourceIps > 250) throw new OptionError('--source-ips is at most 250');
  const system = values.system ?? process.env.BENCH_SYSTEM ?? 'parley';
  if (system !== 'parley' && system !== 'relay') throw new OptionError(`--system is parley or relay, not ${system}`);
  return {
    streams,
    intervalMs: numberOption(values['interval-ms'], 'BENCH_INTERVAL_MS', 200, { min: 1, name: 'interval-ms' }),
    holdSeconds,
    rampSeconds,
    timeLimitSeconds: numberOption(values['time-limit-seconds'], 'BENCH_TIME_LIMIT_SECONDS', rampSeconds + holdSeconds + 60, { min: 1, name: 'time-limit-seconds' }),
    sourceAddresses: Array.from({ length: sourceIps }, (_, index) => `127.0.0.${index + 1}`),
    environment: environmentPairs(values.env),
    strict: values.strict,
    system,
    ...commonSettings(values, STREAMS_OUT),
  };
}

async function main(settings: StreamsSettings): Promise<boolean> {
  // Parley holds two sockets per stream (client and upstream), plus its files.
  const filesLimit = openFilesLimit();
  if (filesLimit !== undefined && filesLimit < 2 * settings.streams + 256) {
    console.error(`warning: the open-files limit is ${filesLimit}; ${settings.streams} streams need about ${2 * settings.streams + 256} in Parley (raise it with \`ulimit -n\`)`);
  }
  const pinned = settings.pin && pinSelf(LOAD_CORE);
  const workDir = mkdtempSync(join(tmpdir(), 'parley-streams-'));
  const dataDir = join(workDir, 'data');
  mkdirSync(dataDir);
  const chunks = Math.max(1, Math.ceil((settings.holdSeconds * 1000) / settings.intervalMs));
  const tokenRate = 1000 / settings.intervalMs;
  const upstream = await startMockUpstream({
    source: settings.source,
    flags: ['--chunks', String(chunks), '--token-rate', String(tokenRate)],
    logFile: join(workDir, 'mock-upstream.log'),
    pin: settings.pin,
  });
  const upstreamOrigin = new URL(upstream.url).origin;
  const setUpstream = async (patch: Record<string, unknown>): Promise<void> => {
    const response = await fetch(`${upstreamOrigin}/mock/options`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) });
    if (!response.ok) throw new Error(`mock upstream refused ${JSON.stringify(patch)}: ${await response.text()}`);
  };
  const logFile = join(workDir, `${settings.system}.log`);
  const parley =
    settings.system === 'relay'
      ? await startRelay({ upstreamUrl: upstream.url, logFile, pin: settings.pin, nodeArgs: settings.nodeArgs })
      : await startParley({
          source: settings.source,
          upstreamUrl: upstream.url,
          apiKey: API_KEY,
          dataDir,
          logFile,
          pin: settings.pin,
          environment: { PARLEY_SHUTDOWN_GRACE_MS: '1000', ...settings.environment },
          nodeArgs: settings.nodeArgs,
        });
  const origin = new URL(parley.url);
  const client = new SlowStreamClient({
    host: origin.hostname,
    port: Number(origin.port),
    path: '/v1/chat/completions',
    headers: { authorization: `Bearer ${API_KEY}` },
    body: SCENARIOS['v1-stream'].request('streams').body,
    firstToken: FIRST_TOKEN,
    sourceAddresses: settings.sourceAddresses,
  });
  try {
    // Warm-up with unpaced answers, so the baseline is a process that has served requests.
    await setUpstream({ tokenRate: 0 });
    const warmup = await runPhase(
      { origin: origin.origin, headers: { authorization: `Bearer ${API_KEY}` }, scenario: SCENARIOS['v1-stream'] },
      { concurrency: 16, seconds: 2, clientPrefix: 'warmup' },
    );
    await setUpstream({ tokenRate, chunkCount: chunks });
    await (await fetch(`${upstreamOrigin}/mock/reset`, { method: 'POST' })).body?.cancel();
    await new Promise((resolveWait) => setTimeout(resolveWait, 1000));
    const baseline = memoryBytes(parley.pid);

    const overflowsBefore = listenOverflows();
    const sample = sampler({ parleyPid: parley.pid, upstreamPid: upstream.pid, parleyUrl: parley.url, counts: client.counts });
    const startedAt = performance.now();
    const deadline = startedAt + settings.timeLimitSeconds * 1000;
    const rampMs = settings.rampSeconds * 1000;
    let lastProgress = 0;
    // Opens are due on a straight line over the ramp; checked every 10 ms.
    while (performance.now() < deadline) {
      const elapsed = performance.now() - startedAt;
      const due = rampMs === 0 ? settings.streams : Math.min(settings.streams, Math.floor((elapsed / rampMs) * settings.streams));
      while (client.counts.opened < due) client.open();
      if (elapsed - sample.lastAtMs() >= SAMPLE_EVERY_MS) await sample.take(elapsed);
      if (elapsed - lastProgress >= 5000) {
        lastProgress = elapsed;
        console.error(sample.progressLine());
      }
      if (client.counts.opened === settings.streams && client.counts.open === 0) break;
      await new Promise((resolveWait) => setTimeout(resolveWait, 10));
    }
    client.closeAll('still open at the time limit');
    await sample.take(performance.now() - startedAt);
    const peak = memoryBytes(parley.pid);
    const overflowsAfter = listenOverflows();
    // Stopping flushes Parley's log, which the summary reads.
    await parley.stop();
    const summary = summarize({
      settings,
      client,
      samples: sample.samples,
      startedAtMs: startedAt,
      baseline,
      peak,
      parleyLog: parley.logFile,
      warmupErrors: warmup.errors,
      listenOverflows: overflowsBefore === undefined || overflowsAfter === undefined ? null : overflowsAfter - overflowsBefore,
    });
    console.log(`\n${formatStreamsReport(summary, { pinned, chunks, settings })}`);
    mkdirSync(dirname(settings.out), { recursive: true });
    writeFileSync(
      settings.out,
      `${JSON.stringify({ finishedAt: new Date().toISOString(), pinned: pinned && CAN_PIN, settings: { ...settings, environment: Object.keys(settings.environment), chunks }, summary, samples: sample.samples }, null, 2)}\n`,
    );
    console.log(`\nwritten to ${settings.out}`);
    return summary.failed === 0;
  } finally {
    client.closeAll('bench stopped');
    await parley.stop();
    await upstream.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

try {
  const settings = readSettings();
  if (settings !== undefined) {
    const clean = await main(settings);
    if (settings.strict && !clean) process.exitCode = 1;
  }
} catch (error) {
  if (!(error instanceof OptionError) && !(error instanceof TypeError && 'code' in error)) throw error;
  console.error(`bench:streams: ${error.message}`);
  process.exitCode = 2;
}
