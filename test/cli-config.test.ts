import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { requestJson } from './helpers/parley.js';
import { readSse } from './helpers/sse.js';
import { runCli, spawnServer } from './helpers/server-process.js';

const directories: string[] = [];
const dataDir = () => {
  const directory = mkdtempSync(join(tmpdir(), 'parley-cli-'));
  directories.push(directory);
  return directory;
};

describe('parley CLI and configuration', () => {
  after(() => {
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  test('--help lists the commands', async () => {
    const result = await runCli(['--help']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /serve/);
    assert.match(result.stdout, /mock-upstream/);
  });

  for (const [variable, value] of [
    ['PORT', 'eighty'],
    ['MODEL_TEMPERATURE', '7'],
    ['LOG_LEVEL', 'loud'],
    ['OPENROUTER_BASE_URL', 'not a url'],
    ['PARLEY_PROVIDER_HEADERS', '{"x": 1}'],
    ['PARLEY_DEFAULT_PROVIDER', 'nowhere'],
  ] as const) {
    test(`a bad ${variable} stops startup with a message naming it`, async () => {
      const result = await runCli(['serve'], { [variable]: value, PARLEY_DATA_DIR: dataDir(), PORT: variable === 'PORT' ? value : '0' });
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`configuration error: ${variable}`));
    });
  }

  test('with no provider key it starts on the mock, says how to configure one, and listens on loopback only', async () => {
    const server = await spawnServer({ PARLEY_DATA_DIR: dataDir() });
    try {
      const log = server.output();
      assert.match(log, /built-in mock provider; set OPENROUTER_API_KEY/);
      assert.match(log, /listening on 127\.0\.0\.1 only/);
      assert.match(server.url, /127\.0\.0\.1/);
      const health = await requestJson(`${server.url}/health`);
      assert.equal(health.body.status, 'healthy');
      assert.equal(health.body.model, 'mock-model');
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  test('reads .env, with the seeds\' variable names', async () => {
    const directory = dataDir();
    const envFile = join(directory, 'seed.env');
    writeFileSync(envFile, 'APP_TITLE=Open Chat API\nMODEL_NAME=mock-reasoner\n');
    const server = await spawnServer({ PARLEY_DATA_DIR: directory }, ['--dotenv', envFile]);
    try {
      const status = await requestJson(`${server.url}/`);
      assert.equal(status.body.service, 'Open Chat API');
      const created = await requestJson(`${server.url}/conversations`, { body: {} });
      assert.equal(created.body.default_model, 'mock-reasoner');
    } finally {
      await server.stop();
    }
  });

  test('an answer cut off by a crash is marked interrupted at the next start, keeping the text streamed before it', async () => {
    const directory = dataDir();
    const environment = { PARLEY_DATA_DIR: directory, PARLEY_MOCK_CHUNK_DELAY_MS: '100' };
    const first = await spawnServer(environment);
    const conversation = (await requestJson(`${first.url}/conversations`, { body: {} })).body;
    await requestJson(`${first.url}/conversations/${conversation.id}/messages`, { body: { message: 'crash' } });
    const response = await fetch(`${first.url}/conversations/${conversation.id}/stream`);
    let streamed = '';
    const started = Date.now();
    // Past one checkpoint interval (1 s) of streaming, then a crash.
    for await (const event of readSse(response)) {
      streamed += JSON.parse(event.data).content ?? '';
      if (Date.now() - started > 1_600) break;
    }
    await first.stop('SIGKILL');

    const second = await spawnServer(environment);
    try {
      const messages = (await requestJson(`${second.url}/conversations/${conversation.id}/messages`)).body.messages;
      assert.equal(messages.length, 2);
      assert.equal(messages[1].status, 'interrupted');
      assert.equal(messages[1].error.code, 'interrupted');
      assert.ok(messages[1].content.length > 0, 'partial text kept');
      assert.ok(streamed.startsWith(messages[1].content), `${JSON.stringify(messages[1].content)} is a prefix of what was streamed`);
    } finally {
      await second.stop();
    }
  });
});
