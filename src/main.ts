/**
 * The server process: loads `.env`, validates the configuration, builds the
 * app, listens, and shuts down gracefully on SIGTERM / SIGINT.
 */
import dotenv from 'dotenv';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config/load.js';
import type { Config } from './config/types.js';

/** Options of `parley serve`; each overrides its environment variable. */
export interface ServeOptions {
  port?: number;
  host?: string;
  envFile?: string;
}

/** Grace period for running answers on shutdown, ms. */
const SHUTDOWN_GRACE_MS = 10_000;

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

/** Starts the server and resolves once it listens. */
export async function serve(options: ServeOptions = {}): Promise<void> {
  const config = configFromEnvironment(options);
  const parley = await buildApp(config);
  const { app, context } = parley;
  if (context.registry.mockOnly) {
    app.log.info('no provider key set: answering with the built-in mock provider; set OPENROUTER_API_KEY, OPENAI_API_KEY or PARLEY_PROVIDER_BASE_URL to use a real model');
  }
  if (config.apiKeys.length === 0) {
    app.log.warn(
      config.hostDefaultedToLoopback
        ? 'no client keys set (API_KEYS): listening on 127.0.0.1 only; set API_KEYS to serve other hosts'
        : `no client keys set (API_KEYS) but listening on ${config.host}: anyone who can reach it can use it`,
    );
  }
  await app.listen({ port: config.port, host: config.host });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: finishing running answers');
    parley.close(SHUTDOWN_GRACE_MS).then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
