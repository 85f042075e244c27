import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { startParley, type RunningParley } from './helpers/parley.js';

const run = promisify(execFile);
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
/** Every ```bash block of the README that talks to the server. */
const EXAMPLES = [...README.matchAll(/```bash\n([\s\S]*?)```/g)].map((match) => match[1]!).filter((block) => block.includes('curl '));

describe('README examples, run as written against a live server', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley();
  });
  after(() => server.stop());

  test('the README has curl examples', () => {
    assert.ok(EXAMPLES.length >= 2, `found ${EXAMPLES.length}`);
  });

  for (const [index, example] of EXAMPLES.entries()) {
    test(`example ${index + 1}: ${example.split('\n')[0]!.slice(0, 70)}`, async () => {
      // Only the address changes: the README's port 8000 becomes the test server's.
      const script = `set -euo pipefail\n${example.replaceAll('http://localhost:8000', server.url)}`;
      const { stdout } = await run('bash', ['-c', script], { timeout: 30_000 });
      assert.ok(stdout.trim().length > 0, 'prints something');
      assert.doesNotMatch(stdout, /"error"/);
      if (example.includes('/stream') || example.includes('"stream": true')) assert.match(stdout, /\[DONE\]|"done":true/);
    });
  }
});
