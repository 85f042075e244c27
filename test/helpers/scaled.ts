/**
 * Scaled-out test setup: a fresh PostgreSQL database per suite and Redis
 * logical db 6 (flushed, never another db), or a redis-server of the test's
 * own. Suites skip with a visible reason when PostgreSQL or Redis is not
 * reachable, and fail instead when PARLEY_REQUIRE_SERVICES=1 (.ci/run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';

/** Administrative connection: databases are created and dropped through it. */
export const POSTGRES_ADMIN_URL = process.env.PARLEY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** The Redis db the scaled-out tests own (flushed by them). */
export const TEST_REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/6';
const REQUIRED = process.env.PARLEY_REQUIRE_SERVICES === '1';

async function postgresError(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
    return undefined;
  } catch (error) {
    return `PostgreSQL not reachable at ${POSTGRES_ADMIN_URL} (${(error as Error).message})`;
  }
}

async function redisError(url: string): Promise<string | undefined> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (error) {
    return `Redis not reachable at ${url} (${(error as Error).message})`;
  } finally {
    redis.disconnect();
  }
}

/**
 * Why the scaled-out tests cannot run here, or false when they can.
 * @throws Error with the reason when PARLEY_REQUIRE_SERVICES=1.
 */
export async function scaledSkipReason(): Promise<string | false> {
  const reasons = (await Promise.all([postgresError(), redisError(TEST_REDIS_URL)])).filter((reason) => reason !== undefined);
  if (reasons.length === 0) return false;
  const reason = `${reasons.join('; ')}: scaled-out tests skipped`;
  if (REQUIRED) throw new Error(`PARLEY_REQUIRE_SERVICES=1 but ${reason}`);
  return reason;
}

/** A fresh PostgreSQL database; `drop` removes it (closing what still uses it). */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates `test_wt9_<random>`. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `test_wt9_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** Empties the tests' Redis db (only that one). */
export async function flushTestRedis(url = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(url);
  try {
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

/** A free loopback TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A redis-server of the test's own (so it may be stopped), on `port`. */
export interface OwnRedis {
  url: string;
  stop(): Promise<void>;
}

/** Starts `redis-server` on `port` without persistence and waits until it answers. */
export async function startOwnRedis(port: number): Promise<OwnRedis> {
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}/0`;
  for (let attempt = 0; attempt < 100 && (await redisError(url)) !== undefined; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 50));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Whether `redis-server` can be started here (the restart test needs its own). */
export function redisServerAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('redis-server', ['--version'], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}
