import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { startParley, type RunningParley } from './helpers/parley.js';

const run = promisify(execFile);
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
/** Every ```bash block of the README that talks to the server. */
const EXAMPLES = [...README.matchAll(/```bash\n([\s\S]*?)```/g)].map((match) => match[1]!).filter((block) => block.includes('curl '));
/** Every ```js block: Node programs using the installed client packages. */
const JS_EXAMPLES = [...README.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]!);
/** Inside the package, so the examples' imports resolve to its node_modules; gitignored. */
const SCRATCH = fileURLToPath(new URL('../test-artifacts/', import.meta.url));

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
      // An error object or message; a Responses object's `"error": null` is fine.
      assert.doesNotMatch(stdout, /"error":\s*[{"]/);
      if (example.includes('/stream') || example.includes('"stream": true')) assert.match(stdout, /\[DONE\]|"done":true/);
      if (example.includes('stream=true')) assert.match(stdout, /event: response\.completed/);
    });
  }

  test('the README has Node examples for the openai SDK and the ai package', () => {
    assert.ok(JS_EXAMPLES.some((example) => example.includes("from 'openai'")));
    assert.ok(JS_EXAMPLES.some((example) => example.includes("from 'ai'")));
  });

  for (const [index, example] of JS_EXAMPLES.entries()) {
    test(`Node example ${index + 1}: ${example.split('\n')[0]!.slice(0, 70)}`, async () => {
      mkdirSync(SCRATCH, { recursive: true });
      const file = join(SCRATCH, `readme-example-${index + 1}.mjs`);
      writeFileSync(file, example.replaceAll('http://localhost:8000', server.url));
      const { stdout, stderr } = await run(process.execPath, [file], { timeout: 30_000 });
      assert.ok(stdout.trim().length > 0, `prints something (stderr: ${stderr})`);
      assert.doesNotMatch(stdout, /"error":\s*[{"]|undefined/);
    });
  }
});
