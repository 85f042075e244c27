/**
 * Starts Parley in-process on a real loopback port with a throwaway data
 * directory, configured from environment-style variables like production.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildApp, type ParleyApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './scaled.js';

/** A running Parley and how to reach it. */
export interface RunningParley {
  /** e.g. `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  dataDir: string;
  parley: ParleyApp;
  /** Stops the server (grace in ms) and, unless `keepData`, removes the data directory. */
  stop(options?: { keepData?: boolean; graceMs?: number }): Promise<void>;
}

/** Scaled runs: the PostgreSQL database of each data directory. */
const scaledDatabases = new Map<string, TestDatabase>();

/**
 * Starts Parley with `environment` on top of test defaults (fresh data dir,
 * fast mock, port 0).
 */
export async function startParley(environment: Record<string, string> = {}, dataDir?: string): Promise<RunningParley> {
  const directory = dataDir ?? mkdtempSync(join(tmpdir(), 'parley-test-'));
  // `npm run test:scaled`: the same suites on a fresh PostgreSQL database and Redis (see README "Scale out").
  // A restart on the same data directory finds the same database.
  const database = process.env.PARLEY_TEST_SCALED === '1' ? (scaledDatabases.get(directory) ?? (await createTestDatabase())) : undefined;
  if (database !== undefined) scaledDatabases.set(directory, database);
  const scaled: Record<string, string> = database === undefined ? {} : { DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL };
  const config = loadConfig({
    ...scaled,
    PORT: '0',
    PARLEY_DATA_DIR: directory,
    PARLEY_MOCK_CHUNK_DELAY_MS: '1',
    LOG_LEVEL: 'fatal',
    // Tests of other behaviour send more chat requests a minute than the
    // production defaults allow; rate-limit tests set the limits they test.
    PARLEY_RATE_LIMIT_IP_PER_MINUTE: '0',
    PARLEY_RATE_LIMIT_KEY_PER_MINUTE: '0',
    ...environment,
  });
  const parley = await buildApp(config, { logger: false });
  await parley.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = parley.app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir: directory,
    parley,
    async stop(options = {}) {
      await parley.close(options.graceMs ?? 2_000);
      if (options.keepData !== true) {
        rmSync(directory, { recursive: true, force: true });
        scaledDatabases.delete(directory);
        await database?.drop();
      }
    },
  };
}

/** JSON request helper: returns status, headers and parsed body. */
export async function requestJson(
  url: string,
  options: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(url, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON; the raw text is the body
  }
  return { status: response.status, headers: response.headers, body };
}
