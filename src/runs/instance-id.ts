/**
 * The name of this instance on the runs it executes (run leases). Set with
 * PARLEY_INSTANCE_ID; by default generated on first start and kept in the
 * data directory, so a restarted instance recognises the runs its previous
 * process left behind and recovers them at once, while other instances'
 * runs wait for their leases to expire.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** What an instance id may look like (the PARLEY_INSTANCE_ID schema). */
const INSTANCE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** File in the data directory holding the generated id. */
export const INSTANCE_ID_FILE = 'instance-id';

/**
 * The configured id, else the one kept in `dataDir`, else a new one
 * (`<host>-<8 hex>`) written there.
 * @throws Error naming the file when it holds something that is no instance id, or cannot be written.
 */
export function resolveInstanceId(configured: string | undefined, dataDir: string): string {
  if (configured !== undefined) return configured;
  const file = join(dataDir, INSTANCE_ID_FILE);
  let kept: string | undefined;
  try {
    kept = readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (kept !== undefined) {
    if (!INSTANCE_ID.test(kept)) throw new Error(`${file} does not hold an instance id (1-128 of A-Z a-z 0-9 . _ : -); delete it or set PARLEY_INSTANCE_ID`);
    return kept;
  }
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '').slice(0, 64) || 'parley';
  const generated = `${host}-${randomBytes(4).toString('hex')}`;
  mkdirSync(dataDir, { recursive: true });
  // `wx`: two processes starting at once on one directory keep the first id.
  try {
    writeFileSync(file, `${generated}\n`, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return resolveInstanceId(undefined, dataDir);
    throw error;
  }
  return generated;
}
