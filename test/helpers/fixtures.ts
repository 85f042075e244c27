/**
 * Paths of the files tests read, all inside this repository: the recorded
 * provider streams in `test/fixtures/upstream-streams/` (see the README there)
 * and Parley's own fixtures in `test/fixtures/`. Every test opens fixtures
 * through these functions, so a fresh clone with nothing beside it has all it
 * needs; test/self-contained.test.ts checks that they stay inside.
 */
import { existsSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (absolute, no trailing separator). */
export const REPOSITORY_ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));

/** Directory of the recorded provider streams. */
export const UPSTREAM_STREAMS_DIRECTORY = resolve(REPOSITORY_ROOT, 'test', 'fixtures', 'upstream-streams');

/** Whether `path` (absolute) lies inside the repository. */
export function insideRepository(path: string): boolean {
  const fromRoot = relative(REPOSITORY_ROOT, resolve(path));
  return fromRoot !== '' && !fromRoot.startsWith(`..${sep}`) && fromRoot !== '..' && !resolve(path).startsWith(`${sep}${sep}`);
}

/** Every fixture path handed out so far, for the self-containment test. */
export const openedFixtures = new Set<string>();

function checked(path: string): string {
  if (!insideRepository(path)) throw new Error(`fixture ${path} lies outside the repository ${REPOSITORY_ROOT}`);
  if (!existsSync(path)) throw new Error(`fixture ${path} does not exist`);
  openedFixtures.add(path);
  return path;
}

/**
 * Absolute path of a recorded provider stream, e.g. `upstreamStream('openai-text')`
 * for `test/fixtures/upstream-streams/openai-text.chunks.txt`.
 * @throws Error when the file is missing.
 */
export function upstreamStream(name: string): string {
  return checked(resolve(UPSTREAM_STREAMS_DIRECTORY, `${name}.chunks.txt`));
}

/**
 * Absolute path of a file under `test/fixtures/`, e.g. `fixture('structured-thinking.chunks.txt')`.
 * @throws Error when the file is missing or the path leaves the repository.
 */
export function fixture(relativePath: string): string {
  return checked(resolve(REPOSITORY_ROOT, 'test', 'fixtures', relativePath));
}
