/**
 * The scaled-out bench row's backends: a fresh PostgreSQL database (created
 * through BENCH_POSTGRES_URL, dropped afterwards) and the Redis of
 * BENCH_REDIS_URL. When either is unreachable the row is left out, with the
 * reason printed.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

/** Administrative PostgreSQL URL: the bench creates and drops its database through it. */
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Redis of the scaled-out row. */
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/** Backends ready for a Parley process, or why there are none. */
export type ScaledBackends = { environment: Record<string, string>; dispose(): Promise<void> } | { skipped: string };

async function onAdmin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Creates `bench_parley_<random>` and checks Redis answers. */
export async function prepareScaledBackends(): Promise<ScaledBackends> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    return { skipped: `Redis not reachable at ${REDIS_URL} (BENCH_REDIS_URL): ${(error as Error).message}` };
  } finally {
    redis.disconnect();
  }
  const name = `bench_parley_${randomBytes(6).toString('hex')}`;
  try {
    await onAdmin(`CREATE DATABASE ${name}`);
  } catch (error) {
    return { skipped: `PostgreSQL not reachable at ${POSTGRES_URL} (BENCH_POSTGRES_URL): ${(error as Error).message}` };
  }
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    environment: { DATABASE_URL: url.toString(), REDIS_URL },
    dispose: () => onAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
