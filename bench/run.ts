/**
 * `npm run bench`: what users compare, side by side in one run. The mock
 * upstream directly, the minimal relay (bench/relay.ts) and Parley answer the
 * same scripted chat; for each system and scenario it measures the server's
 * CPU per request at concurrency 16, time to first token at concurrency 1,
 * and throughput and latency at concurrency 32, then prints a table with the
 * ratios to the relay and writes it as JSON. A measurement, not a test: it
 * never fails on figures. Flags: `--help`.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureRow, CPU_CONCURRENCY, LATENCY_CONCURRENCIES, type PhaseDurations, type RowMeasurement } from './lib/measure.js';
import { COMMON_OPTIONS, commonSettings, commonUsageRows, SOURCE_OPTION } from './lib/common-options.js';
import { environmentPairs, listOption, numberOption, OptionError, usage } from './lib/options.js';
import { CAN_PIN, LOAD_CORE, pinSelf, ROOT, startMockUpstream, startParley, startRelay, type BenchProcess, type ParleySource } from './lib/processes.js';
import { HAS_PROC } from './lib/proc.js';
import { compareWithRelay, errorLines, formatTable, row } from './lib/report.js';
import { prepareScaledBackends } from './lib/scaled.js';
import { SCENARIOS, type Scenario, type ScenarioId } from './lib/scenarios.js';
import { systems, type SystemSpec } from './lib/systems.js';

const RUN_OUT = 'bench/results/latest.json';
const USAGE = usage('npm run bench [-- options]', [
  ['--cpu-seconds N', `CPU phase (concurrency ${CPU_CONCURRENCY}) per row, default 5`, 'BENCH_CPU_SECONDS'],
  ['--latency-seconds N', 'each latency phase (concurrency 1 and 32), default 3', 'BENCH_LATENCY_SECONDS'],
  ['--warmup-seconds N', 'warm-up per row, default 1', 'BENCH_WARMUP_SECONDS'],
  ['--quick', '1 s phases and a 0.5 s warm-up'],
  ['--rounds N', 'measure every row N times, interleaved; show medians, default 1', 'BENCH_ROUNDS'],
  ['--chunks N', "answer chunks of the mock's reply, default 20", 'BENCH_CHUNKS'],
  ['--systems LIST', 'mock,relay,parley,parley-pg-redis (default all; the last needs BENCH_POSTGRES_URL and BENCH_REDIS_URL reachable)', 'BENCH_SYSTEMS'],
  ['--scenarios LIST', 'v1-stream,v1-json,stored-turn,json-sse (default all)', 'BENCH_SCENARIOS'],
  ['--env KEY=VALUE', 'extra environment for Parley (repeatable)'],
  ...commonUsageRows(RUN_OUT, true),
]);

const API_KEY = 'bench-key';

interface Settings {
  durations: PhaseDurations;
  chunks: number;
  rounds: number;
  systems: SystemSpec[];
  scenarios: ScenarioId[];
  out: string;
  pin: boolean;
  nodeArgs: string[];
  source: ParleySource;
}

function readSettings(): Settings | undefined {
  const { values } = parseArgs({
    options: {
      'cpu-seconds': { type: 'string' },
      'latency-seconds': { type: 'string' },
      'warmup-seconds': { type: 'string' },
      quick: { type: 'boolean', default: false },
      chunks: { type: 'string' },
      rounds: { type: 'string' },
      systems: { type: 'string' },
      scenarios: { type: 'string' },
      env: { type: 'string', multiple: true },
      ...COMMON_OPTIONS,
      ...SOURCE_OPTION,
    },
  });
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  const quick = values.quick;
  const everySystem = systems(environmentPairs(values.env));
  const systemIds = listOption(values.systems, 'BENCH_SYSTEMS', everySystem.map((system) => system.id), everySystem.map((system) => system.id), 'systems');
  const scenarioIds = Object.keys(SCENARIOS) as ScenarioId[];
  return {
    durations: {
      cpuSeconds: numberOption(values['cpu-seconds'], 'BENCH_CPU_SECONDS', quick ? 1 : 5, { min: 0.1, name: 'cpu-seconds' }),
      latencySeconds: numberOption(values['latency-seconds'], 'BENCH_LATENCY_SECONDS', quick ? 1 : 3, { min: 0.1, name: 'latency-seconds' }),
      warmupSeconds: numberOption(values['warmup-seconds'], 'BENCH_WARMUP_SECONDS', quick ? 0.5 : 1, { min: 0, name: 'warmup-seconds' }),
    },
    chunks: numberOption(values.chunks, 'BENCH_CHUNKS', 20, { min: 1, integer: true, name: 'chunks' }),
    rounds: numberOption(values.rounds, 'BENCH_ROUNDS', 1, { min: 1, integer: true, name: 'rounds' }),
    systems: everySystem.filter((system) => systemIds.includes(system.id)),
    scenarios: listOption(values.scenarios, 'BENCH_SCENARIOS', scenarioIds, scenarioIds, 'scenarios'),
    ...commonSettings(values, RUN_OUT),
  };
}

/** A started system: its server, and whether the bench stops it. */
interface StartedSystem {
  server: BenchProcess;
  own: boolean;
}

/** Starts the process serving `system`; the mock row is served by the shared upstream itself. */
async function startSystem(system: SystemSpec, upstream: BenchProcess, settings: Settings, workDir: string, scaled?: Record<string, string>): Promise<StartedSystem> {
  const logFile = join(workDir, `${system.id}.log`);
  switch (system.kind) {
    case 'mock':
      return { server: upstream, own: false };
    case 'relay':
      return { server: await startRelay({ upstreamUrl: upstream.url, logFile, pin: settings.pin, nodeArgs: settings.nodeArgs }), own: true };
    case 'parley': {
      const dataDir = join(workDir, `${system.id}-data`);
      mkdirSync(dataDir);
      const environment = { ...system.environment, ...scaled };
      const server = await startParley({ source: settings.source, upstreamUrl: upstream.url, apiKey: API_KEY, dataDir, logFile, pin: settings.pin, environment, nodeArgs: settings.nodeArgs });
      return { server, own: true };
    }
  }
}

async function main(settings: Settings): Promise<void> {
  if (settings.source === 'dist' && !existsSync(join(ROOT, 'dist/cli/index.js'))) {
    throw new OptionError('dist/ is missing: run `npm run build` first (npm run bench does), or pass --from-source');
  }
  const pinned = settings.pin && pinSelf(LOAD_CORE);
  const workDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const upstream = await startMockUpstream({ source: settings.source, flags: ['--chunks', String(settings.chunks)], logFile: join(workDir, 'mock-upstream.log'), pin: settings.pin });
  const upstreamOrigin = new URL(upstream.url).origin;
  const clearUpstreamLog = async (): Promise<void> => {
    await (await fetch(`${upstreamOrigin}/mock/reset`, { method: 'POST' })).body?.cancel();
  };
  const backends = settings.systems.some((system) => system.scaled === true) ? await prepareScaledBackends() : undefined;
  if (backends !== undefined && 'skipped' in backends) console.error(`scaled-out row left out: ${backends.skipped}`);
  const scaled = backends !== undefined && 'environment' in backends ? backends : undefined;
  const plan = settings.systems
    .filter((system) => system.scaled !== true || scaled !== undefined)
    .map((system) => ({ system, scenarios: system.scenarios.filter((id) => settings.scenarios.includes(id)).map((id) => SCENARIOS[id]) }))
    .filter(({ scenarios }) => scenarios.length > 0);
  const started: StartedSystem[] = [];
  const rounds = new Map<string, RowMeasurement[]>();
  const startedAt = new Date();
  try {
    // Every system runs for the whole bench (idle while another is measured), so rounds interleave.
    const servers = [];
    for (const { system } of plan) {
      const running = await startSystem(system, upstream, settings, workDir, system.scaled === true ? scaled?.environment : undefined);
      started.push(running);
      servers.push(running.server);
    }
    for (let round = 1; round <= settings.rounds; round += 1) {
      for (const [index, { system, scenarios }] of plan.entries()) {
        const server = servers[index]!;
        for (const scenario of scenarios) {
          const target = { origin: new URL(server.url).origin, headers: { authorization: `Bearer ${API_KEY}` }, scenario };
          const measurement = await measureRow(target, server.pid, settings.durations, clearUpstreamLog);
          const key = `${system.id} ${scenario.id}`;
          rounds.set(key, [...(rounds.get(key) ?? []), measurement]);
          const cpu = measurement.cpu.microsPerRequest;
          console.error(`round ${round} ${key}: ${cpu === null ? '–' : Math.round(cpu)} µs/request, ${Math.round(measurement.high.perSecond)}/s at c=32`);
        }
      }
    }
  } finally {
    for (const { server, own } of started) if (own) await server.stop();
    await scaled?.dispose();
    await upstream.stop();
    rmSync(workDir, { recursive: true, force: true });
  }

  const rows = plan.flatMap(({ system, scenarios }) => scenarios.map((scenario) => row(system, scenario, rounds.get(`${system.id} ${scenario.id}`)!)));
  compareWithRelay(rows, new Map<string, Scenario>(Object.entries(SCENARIOS)));
  const { durations } = settings;
  console.log(
    `\n${settings.chunks}-chunk answers; CPU = server user+sys per completed request at c=${CPU_CONCURRENCY} over ${durations.cpuSeconds} s; ` +
      `latency runs of ${durations.latencySeconds} s at c=${LATENCY_CONCURRENCIES.low} and c=${LATENCY_CONCURRENCIES.high}; ` +
      `${pinned ? `load + mock on core ${LOAD_CORE}, server on core 1` : 'processes not pinned'}; Parley from ${settings.source}\n`,
  );
  console.log(formatTable(rows));
  const problems = errorLines(rows);
  if (problems.length > 0) console.log(`\nerrors:\n  ${problems.join('\n  ')}`);
  if (!HAS_PROC) console.log('\n(no /proc: CPU figures are not available on this system)');

  mkdirSync(dirname(settings.out), { recursive: true });
  const document = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, taskset: CAN_PIN, pinned },
    settings: {
      ...durations,
      chunks: settings.chunks,
      rounds: settings.rounds,
      cpuConcurrency: CPU_CONCURRENCY,
      latencyConcurrencies: LATENCY_CONCURRENCIES,
      parley: settings.source,
      systems: settings.systems.map(({ id, label, kind, environment }) => ({ id, label, kind, environmentKeys: Object.keys(environment ?? {}) })),
    },
    rows,
  };
  writeFileSync(settings.out, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`\nwritten to ${settings.out}`);
}

try {
  const settings = readSettings();
  if (settings !== undefined) await main(settings);
} catch (error) {
  if (!(error instanceof OptionError) && !(error instanceof TypeError && 'code' in error)) throw error;
  console.error(`bench: ${error.message}`);
  process.exitCode = 2;
}
