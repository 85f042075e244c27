/**
 * Starting the processes a benchmark measures: the mock upstream, the relay
 * and Parley, each a real `node` process with its stdout in a log file (as a
 * deployment would have it), pinned to one CPU core with `taskset` when the
 * machine has one and at least two cores, so the server under test does not
 * share its core with the load generator.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The repository root: every command runs from there. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Core of the load generator and the mock upstream; the server under test gets {@link SERVER_CORE}. */
export const LOAD_CORE = 0;
export const SERVER_CORE = 1;

/** Whether processes can be pinned: `taskset` runs and there are two cores to split. */
export const CAN_PIN = availableParallelism() >= 2 && spawnSync('taskset', ['--version']).status === 0;

/**
 * Pins this process, all its threads, to `core`. Returns false when pinning is
 * unavailable or refused (then the figures are only noisier).
 */
export function pinSelf(core: number): boolean {
  if (!CAN_PIN) return false;
  return spawnSync('taskset', ['-a', '-c', '-p', String(core), String(process.pid)]).status === 0;
}

/** How Parley's CLI is run: the build (`dist/`, as `npm start` does) or the TypeScript sources through tsx. */
export type ParleySource = 'dist' | 'source';

/** Node arguments that run the `parley` CLI from `source`. */
export function parleyCli(source: ParleySource): string[] {
  return source === 'dist' ? ['dist/cli/index.js'] : ['--import', 'tsx', 'src/cli/index.ts'];
}

/** A process to start. */
export interface ProcessSpec {
  /** Short name, used in messages and the log file's name. */
  name: string;
  /** Arguments to `node`: flags, the script, its arguments. */
  args: string[];
  /** The whole environment of the process (nothing is inherited but what is listed). */
  environment: Record<string, string>;
  /** Core to pin it to, when pinning is possible and wanted. */
  core: number | undefined;
  /** File that receives its stdout and stderr. */
  logFile: string;
  /** Matches the line it prints once listening; group 1 is its base URL (`http://host:port`). */
  listening: RegExp;
}

/** A started process. */
export interface BenchProcess {
  name: string;
  pid: number;
  /** Base URL it listens on, without a trailing slash. */
  url: string;
  logFile: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

/**
 * Starts `spec` and resolves once its log shows the listening line. `taskset`
 * execs node in place, so the pid is node's own and /proc readings are its.
 * Rejects with the tail of its log if it exits or stays silent for 30 s.
 */
export async function startProcess(spec: ProcessSpec): Promise<BenchProcess> {
  const log = openSync(spec.logFile, 'w');
  const command = spec.core === undefined ? [process.execPath, ...spec.args] : ['taskset', '-c', String(spec.core), process.execPath, ...spec.args];
  const child = spawn(command[0]!, command.slice(1), { cwd: ROOT, env: spec.environment, stdio: ['ignore', log, log] });
  closeSync(log);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal === null ? null : -1);
      resolve();
    }),
  );
  const logTail = (): string => readFileSync(spec.logFile, 'utf8').slice(-2000);
  const startedAt = Date.now();
  for (;;) {
    const match = spec.listening.exec(readFileSync(spec.logFile, 'utf8'));
    if (match?.[1] !== undefined) {
      const url = match[1].replace(/\/+$/, '');
      return {
        name: spec.name,
        pid: child.pid!,
        url,
        logFile: spec.logFile,
        stop: async (graceMs = 10_000) => {
          if (exitCode !== undefined) return;
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        },
      };
    }
    if (exitCode !== undefined) throw new Error(`${spec.name} exited with ${exitCode} before listening:\n${logTail()}`);
    if (Date.now() - startedAt > START_TIMEOUT_MS) {
      child.kill('SIGKILL');
      throw new Error(`${spec.name} did not listen within ${START_TIMEOUT_MS / 1000} s:\n${logTail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The environment every child gets: enough to run node, nothing from the caller's Parley settings. */
export function baseEnvironment(): Record<string, string> {
  const environment: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production' };
  if (process.env.HOME !== undefined) environment.HOME = process.env.HOME;
  return environment;
}

/**
 * The mock upstream (`parley mock-upstream`) with `flags`, pinned to the load
 * generator's core. Its URL is the `/v1` base, e.g. `http://127.0.0.1:PORT/v1`.
 */
export function startMockUpstream(options: { source: ParleySource; flags: string[]; logFile: string; pin: boolean }): Promise<BenchProcess> {
  return startProcess({
    name: 'mock-upstream',
    args: [...parleyCli(options.source), 'mock-upstream', '--port', '0', ...options.flags],
    environment: baseEnvironment(),
    core: options.pin && CAN_PIN ? LOAD_CORE : undefined,
    logFile: options.logFile,
    listening: /mock upstream listening on (http:\/\/\S+)\n/,
  });
}

/**
 * `parley serve` on a free loopback port, pinned to the server core, with the
 * settings of the issue's measurements (client keys set, rate limits off,
 * `LOG_LEVEL=info` to its log file) under `environment`'s overrides.
 */
export function startParley(options: {
  source: ParleySource;
  upstreamUrl: string;
  apiKey: string;
  dataDir: string;
  logFile: string;
  pin: boolean;
  environment?: Record<string, string>;
  /** Another build's CLI entry (e.g. a copy of an earlier `dist/cli/index.js`), for A/B runs. */
  entry?: string;
  /** Node flags before the script (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
}): Promise<BenchProcess> {
  return startProcess({
    name: 'parley',
    // A .env in the checkout must not change what is measured.
    args: [...(options.nodeArgs ?? []), ...(options.entry === undefined ? parleyCli(options.source) : [options.entry]), 'serve', '--dotenv', `${options.dataDir}/no.env`],
    environment: {
      ...baseEnvironment(),
      PORT: '0',
      PARLEY_HOST: '127.0.0.1',
      API_KEYS: options.apiKey,
      LOG_LEVEL: 'info',
      PARLEY_DATA_DIR: options.dataDir,
      PARLEY_PROVIDER_BASE_URL: options.upstreamUrl,
      MODEL_NAME: 'mock-model',
      PARLEY_RATE_LIMIT_IP_PER_MINUTE: '0',
      PARLEY_RATE_LIMIT_KEY_PER_MINUTE: '0',
      ...options.environment,
    },
    core: options.pin && CAN_PIN ? SERVER_CORE : undefined,
    logFile: options.logFile,
    listening: /Server listening at (http:\/\/127\.0\.0\.1:\d+)/,
  });
}

/** The relay (bench/relay.ts) in front of `upstreamUrl`, pinned to the server core. */
export function startRelay(options: { upstreamUrl: string; logFile: string; pin: boolean; nodeArgs?: string[] }): Promise<BenchProcess> {
  return startProcess({
    name: 'relay',
    args: [...(options.nodeArgs ?? []), '--import', 'tsx', 'bench/relay.ts', '--upstream', options.upstreamUrl],
    environment: baseEnvironment(),
    core: options.pin && CAN_PIN ? SERVER_CORE : undefined,
    logFile: options.logFile,
    listening: /relay listening on (http:\/\/\S+)\n/,
  });
}
