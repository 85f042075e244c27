/**
 * The repository stands alone: a fresh clone with nothing beside it has every
 * file its code, tests and benchmark open. `.ci/run` greps for references to
 * a sibling `shared` directory; these tests check the same and that every
 * file path the sources build from `import.meta.url`, and every fixture the
 * tests name, resolves inside the repository and exists.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fixture, insideRepository, openedFixtures, REPOSITORY_ROOT, UPSTREAM_STREAMS_DIRECTORY, upstreamStream } from './helpers/fixtures.js';

/** Folders whose files must not reach outside the repository. */
const CHECKED_FOLDERS = ['src', 'test', 'bench'];

function sourceFiles(folder: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (/\.(ts|js|mjs|cjs|json)$/.test(entry.name)) files.push(path);
  }
  return files;
}

const FILES = CHECKED_FOLDERS.flatMap((folder) => sourceFiles(join(REPOSITORY_ROOT, folder)));

/** `fixture('…')` and `upstreamStream('…')` calls with a literal argument, per test file. */
function namedFixtures(): { file: string; kind: 'fixture' | 'upstreamStream'; name: string }[] {
  const calls: { file: string; kind: 'fixture' | 'upstreamStream'; name: string }[] = [];
  const self = fileURLToPath(import.meta.url);
  for (const file of FILES.filter((path) => path.endsWith('.test.ts') && path !== self)) {
    for (const match of readFileSync(file, 'utf8').matchAll(/\b(fixture|upstreamStream)\('([^']+)'\)/g)) {
      calls.push({ file, kind: match[1] as 'fixture' | 'upstreamStream', name: match[2]! });
    }
  }
  return calls;
}

describe('a lone clone has everything it opens', () => {
  test('no source, test or benchmark file refers to a shared directory beside the repository', () => {
    // Built from parts so that this file does not match its own search.
    const sibling = ['..', 'shared'].join('/');
    const offenders = FILES.filter((file) => readFileSync(file, 'utf8').includes(sibling)).map((file) => relative(REPOSITORY_ROOT, file));
    assert.deepEqual(offenders, []);
  });

  test('source comments speak of the code, not of issue numbers', () => {
    const offenders = FILES.filter((file) => file.startsWith(join(REPOSITORY_ROOT, 'src')))
      .flatMap((file) => readFileSync(file, 'utf8').split('\n').map((line, index) => ({ file, line, number: index + 1 })))
      .filter(({ line }) => /\bissues?\s*#?\d+|#\d+\b(?![0-9a-f])/i.test(line) && /\/\/|\/\*|^\s*\*/.test(line))
      .map(({ file, number, line }) => `${relative(REPOSITORY_ROOT, file)}:${number}: ${line.trim()}`);
    assert.deepEqual(offenders, []);
  });

  test('every path built from import.meta.url lies inside the repository', () => {
    let checked = 0;
    for (const file of FILES) {
      for (const match of readFileSync(file, 'utf8').matchAll(/new URL\('([^'`$]+)', import\.meta\.url\)/g)) {
        const target = fileURLToPath(new URL(match[1]!, pathToFileURL(file)));
        checked += 1;
        assert.ok(insideRepository(target) || resolve(target) === REPOSITORY_ROOT, `${relative(REPOSITORY_ROOT, file)}: ${match[1]} -> ${target}`);
      }
    }
    assert.ok(checked >= 5, `only ${checked} paths found; the pattern no longer matches the sources`);
  });

  test('every fixture the tests name exists inside the repository', () => {
    const calls = namedFixtures();
    // The replay, adapter, mock-upstream and seed tests all name recorded streams.
    assert.ok(calls.filter((call) => call.kind === 'upstreamStream').length >= 3, JSON.stringify(calls));
    for (const call of calls) {
      const path = call.kind === 'fixture' ? fixture(call.name) : upstreamStream(call.name);
      assert.ok(insideRepository(path), `${relative(REPOSITORY_ROOT, call.file)}: ${path}`);
    }
    for (const path of openedFixtures) assert.ok(insideRepository(path), path);
  });

  test('the recorded streams are in the repository with their license and README, and every file is described', () => {
    assert.equal(dirname(UPSTREAM_STREAMS_DIRECTORY), resolve(REPOSITORY_ROOT, 'test', 'fixtures'));
    assert.ok(statSync(join(UPSTREAM_STREAMS_DIRECTORY, 'LICENSE-vercel-ai.txt')).size > 0);
    const readme = readFileSync(join(UPSTREAM_STREAMS_DIRECTORY, 'README.md'), 'utf8');
    assert.match(readme, /vercel\/ai/);
    const recordings = readdirSync(UPSTREAM_STREAMS_DIRECTORY).filter((name) => name.endsWith('.chunks.txt'));
    assert.ok(recordings.length >= 10, recordings.join(', '));
    for (const name of recordings) assert.ok(readme.includes(name), `${name} is described in the README`);
    assert.throws(() => upstreamStream('no-such-recording'), /does not exist/);
    assert.throws(() => fixture('../../../etc/passwd'), /outside the repository/);
  });

  test('the .ci/run check fails on a reference to a shared directory beside the repository, and passes here', () => {
    const script = readFileSync(join(REPOSITORY_ROOT, '.ci', 'run'), 'utf8');
    assert.ok(script.indexOf('.ci/check-self-contained') < script.indexOf('npm ci'), '.ci/run runs the check before installing');
    const check = join(REPOSITORY_ROOT, '.ci', 'check-self-contained');
    assert.equal(spawnSync(check, [REPOSITORY_ROOT], { encoding: 'utf8' }).status, 0);
    const clone = mkdtempSync(join(tmpdir(), 'parley-clone-'));
    try {
      // Built from parts, like above, so that this file passes the check itself.
      const cases: [folder: string, depth: number][] = [['bench', 1], ['test', 2], ['src', 3]];
      for (const [folder, depth] of cases) {
        const reference = `${'../'.repeat(depth)}${'shared'}`;
        mkdirSync(join(clone, folder), { recursive: true });
        writeFileSync(join(clone, folder, 'reads-outside.ts'), `readFileSync(new URL('${reference}/fixtures/x.txt', import.meta.url));\n`);
        const result = spawnSync(check, [clone], { encoding: 'utf8' });
        assert.equal(result.status, 1, `${folder}: ${reference}`);
        assert.match(result.stderr, new RegExp(`${folder}/reads-outside\\.ts`));
        rmSync(join(clone, folder), { recursive: true });
      }
      mkdirSync(join(clone, 'test'));
      writeFileSync(join(clone, 'test', 'fine.ts'), "const shared = './shared-state';\n");
      assert.equal(spawnSync(check, [clone], { encoding: 'utf8' }).status, 0);
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  });
});
