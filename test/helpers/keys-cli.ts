/** Runs the real `parley keys` CLI (from source, via tsx) against a data directory. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli', 'index.ts');

/** Runs `parley keys <args>` with PARLEY_DATA_DIR (and `environment`, e.g. DATABASE_URL) set; resolves with stdout, rejects on a non-zero exit. */
export async function keysCli(dataDir: string, args: string[], environment: Record<string, string> = {}): Promise<string> {
  // Explicit variables win over a developer's .env.
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CLI, 'keys', ...args], {
    env: { ...process.env, PARLEY_DATA_DIR: dataDir, API_KEYS: '', INTERNAL_API_KEY: '', ...environment },
    timeout: 30_000,
  });
  return stdout;
}

/** A key made by `parley keys create --json`. */
export interface CreatedKey {
  id: string;
  name: string;
  key: string;
  key_prefix: string;
  rate_limit_per_minute: number | null;
}

/** `parley keys create --name <name> [--rate-limit n] --json`. */
export async function createKey(dataDir: string, name: string, rateLimit?: number, environment: Record<string, string> = {}): Promise<CreatedKey> {
  const extra = rateLimit === undefined ? [] : ['--rate-limit', String(rateLimit)];
  return JSON.parse(await keysCli(dataDir, ['create', '--name', name, ...extra, '--json'], environment)) as CreatedKey;
}
