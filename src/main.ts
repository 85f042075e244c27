/**
 * The server process: loads `.env`, validates the configuration, builds the
 * app, listens, and shuts down gracefully on SIGTERM / SIGINT.
 */
import { isIP } from 'node:net';
import { constants } from 'node:os';
import dotenv from 'dotenv';
import { buildApp } from './app.js';
import { ConfigError } from './config/errors.js';
import { loadConfig } from './config/load.js';
import type { Config } from './config/types.js';
import { PersonaLoadError } from './personas/catalog.js';

/** Options of `parley serve`; each overrides its environment variable. */
export interface ServeOptions {
  port?: number;
  host?: string;
  envFile?: string;
}

/**
 * Beyond the grace period, how long closing may take before the process
 * exits anyway (1): a stuck connection or provider must not block a restart.
 */
const SHUTDOWN_WATCHDOG_MS = 15_000;

/** Reads and validates configuration; prints the variable at fault and exits 1 on error. */
export function configFromEnvironment(options: ServeOptions = {}): Readonly<Config> {
  dotenv.config({ path: options.envFile ?? '.env', quiet: true });
  const environment: Record<string, string | undefined> = { ...process.env };
  if (options.port !== undefined) environment.PORT = String(options.port);
  if (options.host !== undefined) environment.PARLEY_HOST = options.host;
  try {
    return loadConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`parley: configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** Whether `host` is a loopback address, reachable only from this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/**
 * The listen address when PARLEY_HOST is unset: every interface (`0.0.0.0`)
 * when any client key exists at startup, from API_KEYS or from `parley keys
 * create` alike, else loopback only (`127.0.0.1`): open access is a risk only
 * where others can connect. A key made while the server runs opens the
 * address only after a restart (or with PARLEY_HOST).
 */
export function defaultListenHost(anyKeyExists: boolean): string {
  return anyKeyExists ? '0.0.0.0' : '127.0.0.1';
}

/** Starts the server and resolves once it listens. */
export async function serve(options: ServeOptions = {}): Promise<void> {
  const config = configFromEnvironment(options);
  const parley = await buildApp(config).catch((error: unknown) => {
    // Like a bad variable: one line naming the file at fault, exit 1.
    if (error instanceof PersonaLoadError) {
      process.stderr.write(`parley: ${error.message}\n`);
      process.exit(1);
    }
    // DATABASE_URL or REDIS_URL set but unreachable: name the variable, like a bad value.
    if (error instanceof ConfigError) {
      process.stderr.write(`parley: configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  });
  const { app, context } = parley;
  if (context.models.mockOnly) {
    app.log.info('no provider key set: answering with the built-in mock provider; set OPENROUTER_API_KEY, OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY or PARLEY_PROVIDER_BASE_URL to use a real model');
  }
  const host = config.host ?? defaultListenHost(parley.keysAtStartup);
  if (!parley.keysAtStartup) {
    // Open access is a risk only where others can connect.
    if (isLoopbackHost(host)) {
      app.log.info(`no client keys set (API_KEYS): listening on ${host} only; set API_KEYS or make a key with \`parley keys create\` (then restart) to serve other hosts`);
    } else {
      app.log.warn(`no client keys set (API_KEYS) but listening on ${host}: anyone who can reach it can use it`);
    }
  } else if (config.host === undefined) {
    app.log.info(`client keys exist (API_KEYS or \`parley keys create\`): listening on ${host}; every request needs a key`);
  }
  await app.listen({ port: config.port, host, backlog: config.listenBacklog });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal, of either kind, means now: the grace period is skipped.
      // Answers still streaming stay `streaming` until the next start marks them interrupted.
      app.log.warn({ signal }, 'second signal: exiting at once');
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
    stopping = true;
    app.log.info({ signal, graceMs: config.shutdownGraceMs, activeRuns: context.runs.activeCount }, 'shutting down: finishing running answers');
    // Unreferenced: it only matters if closing hangs, and must not by itself keep the process alive.
    setTimeout(() => {
      app.log.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownGraceMs + SHUTDOWN_WATCHDOG_MS).unref();
    parley.close(config.shutdownGraceMs).then(
      () => {
        app.log.info('shutdown complete');
        process.exit(0);
      },
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
