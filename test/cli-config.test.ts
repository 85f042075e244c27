import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

  test('open access is a warning only on a non-loopback address', async () => {
    const levelsOf = (output: string, pattern: RegExp) =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{') && pattern.test(line))
        .map((line) => (JSON.parse(line) as { level: number }).level);
    const loopback = await spawnServer({ PARLEY_DATA_DIR: dataDir(), HOST: '127.0.0.1' });
    try {
      assert.doesNotMatch(loopback.output(), /anyone who can reach it/);
      assert.deepEqual(levelsOf(loopback.output(), /no client keys set/), [30]);
    } finally {
      assert.equal(await loopback.stop(), 0);
    }
    const everywhere = await spawnServer({ PARLEY_DATA_DIR: dataDir(), HOST: '0.0.0.0' });
    try {
      assert.deepEqual(levelsOf(everywhere.output(), /no client keys set \(API_KEYS\) but listening on 0\.0\.0\.0: anyone who can reach it can use it/), [40]);
    } finally {
      assert.equal(await everywhere.stop(), 0);
    }
  });

  test('listens with the configured backlog (PARLEY_LISTEN_BACKLOG), 4096 by default', async (context) => {
    const ss = spawnSync('ss', ['-V'], { encoding: 'utf8' });
    if (ss.error !== undefined) {
      context.skip('needs `ss` (iproute2) to read the listening socket\'s backlog');
      return;
    }
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    const backlogOf = (url: string) => {
      // For a listening socket, ss shows the accept queue's limit in the Send-Q column.
      const line = spawnSync('ss', ['-Hltn', `sport = :${new URL(url).port}`], { encoding: 'utf8' }).stdout.trim();
      return Number(line.split(/\s+/)[2]);
    };
    for (const [setting, expected] of [
      [undefined, 4096],
      ['1234', 1234],
    ] as const) {
      const server = await spawnServer({ PARLEY_DATA_DIR: dataDir(), ...(setting === undefined ? {} : { PARLEY_LISTEN_BACKLOG: setting }) });
      try {
        // The kernel caps the backlog at net.core.somaxconn.
        assert.equal(backlogOf(server.url), Math.min(expected, somaxconn));
      } finally {
        await server.stop();
      }
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
