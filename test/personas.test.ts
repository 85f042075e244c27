import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { requestJson, startParley } from './helpers/parley.js';
import { runCli } from './helpers/server-process.js';

const SHIPPED = new URL('../personas/', import.meta.url);
const directories: string[] = [];

/** A personas directory with the shipped assistant plus `files` (name → text). */
function personasDir(files: Record<string, string>): string {
  const directory = mkdtempSync(join(tmpdir(), 'parley-personas-'));
  directories.push(directory);
  writeFileSync(join(directory, 'assistant.json'), readFileSync(new URL('assistant.json', SHIPPED)));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text);
  return directory;
}

/** A persona as GET /api/personas lists it. */
interface Listed {
  name: string;
  description: string;
}

const valid = { name: 'pirate', description: 'Talks like a pirate.', system_prompt: 'Arr.' };

describe('persona files', () => {
  after(() => {
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  const bad: [string, string, Record<string, string>, RegExp][] = [
    ['not JSON', 'broken.json', { 'broken.json': '{"name": "broken",' }, /persona file .*broken\.json: not readable JSON/],
    ['a field out of range', 'pirate.json', { 'pirate.json': JSON.stringify({ ...valid, temperature: 5 }) }, /persona file .*pirate\.json: temperature must be <= 2/],
    ['a missing field', 'pirate.json', { 'pirate.json': JSON.stringify({ name: 'pirate', description: 'x' }) }, /persona file .*pirate\.json: .*system_prompt/],
    ['an unknown field', 'pirate.json', { 'pirate.json': JSON.stringify({ ...valid, sytem_prompt: 'typo' }) }, /persona file .*pirate\.json: sytem_prompt is not a known field/],
    ['a name that is not its file name', 'captain.json', { 'captain.json': JSON.stringify(valid) }, /persona file .*captain\.json: name "pirate" must match the file name/],
  ];
  for (const [what, file, files, message] of bad) {
    test(`a persona file with ${what} stops startup naming ${file}`, async () => {
      await assert.rejects(startParley({ PARLEY_PERSONAS_DIR: personasDir(files) }), message);
    });
  }

  test('a default persona without a file stops startup naming the file it looked for', async () => {
    await assert.rejects(
      startParley({ PARLEY_PERSONAS_DIR: personasDir({ 'pirate.json': JSON.stringify(valid) }), PARLEY_DEFAULT_PERSONA: 'captain' }),
      /captain\.json: PARLEY_DEFAULT_PERSONA is "captain" but there is no such persona file/,
    );
  });

  test('parley serve exits 1 with one line naming the bad file', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-personas-data-'));
    directories.push(dataDir);
    const result = await runCli(['serve'], { PARLEY_PERSONAS_DIR: personasDir({ 'pirate.json': '[]' }), PARLEY_DATA_DIR: dataDir, PORT: '0' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^parley: persona file .*pirate\.json: the file must be object/m);
  });

  test('the shipped personas load by default and GET /api/personas lists them with the default', async () => {
    const server = await startParley();
    try {
      const { status, body } = await requestJson(`${server.url}/api/personas`);
      assert.equal(status, 200);
      assert.equal(body.default, 'assistant');
      assert.deepEqual(
        (body.personas as Listed[]).map((persona) => persona.name),
        ['assistant', 'chai-mentor'],
      );
      for (const persona of body.personas as Listed[]) assert.ok(persona.description.length > 10);
      const mentor = JSON.parse(readFileSync(new URL('chai-mentor.json', SHIPPED), 'utf8'));
      assert.doesNotMatch(JSON.stringify(mentor), /Hitesh|Choudhary/i, 'the example persona impersonates no real person');
    } finally {
      await server.stop();
    }
  });

  test('non-JSON files in the directory are ignored', async () => {
    const server = await startParley({ PARLEY_PERSONAS_DIR: personasDir({ 'README.md': '# notes', 'pirate.json': JSON.stringify(valid) }) });
    try {
      const { body } = await requestJson(`${server.url}/api/personas`);
      assert.deepEqual((body.personas as Listed[]).map((persona) => persona.name), ['assistant', 'pirate']);
    } finally {
      await server.stop();
    }
  });
});
