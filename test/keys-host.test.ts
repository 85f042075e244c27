/**
 * Keys made with `parley keys create` and keys from API_KEYS behave the same
 * (README "Production settings", `PARLEY_HOST`): any key existing at
 * startup opens the default listen address to every interface and puts the
 * key schemes in the OpenAPI document's `security`; a key made while the
 * server runs is required at once and shown in `/openapi.json`, but opens the
 * address only after a restart. Run as `parley serve` child processes, with
 * keys made by the real CLI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createKey } from './helpers/keys-cli.js';
import { requestJson } from './helpers/parley.js';
import { spawnServer, type ServerProcess } from './helpers/server-process.js';

const KEY_SCHEMES = [{ apiKey: [] }, { bearer: [] }];

/** The address the server's socket listens on, read with `ss`; undefined where `ss` is missing. */
function listeningAddress(url: string): string | undefined {
  if (spawnSync('ss', ['-V']).error !== undefined) return undefined;
  const line = spawnSync('ss', ['-Hltn', `sport = :${new URL(url).port}`], { encoding: 'utf8' }).stdout.trim();
  return line.split(/\s+/)[3]?.replace(/:\d+$/, '');
}

describe('keys from `parley keys create` behave as keys from API_KEYS', () => {
  const directories: string[] = [];
  const dataDir = () => {
    const directory = mkdtempSync(join(tmpdir(), 'parley-keys-host-'));
    directories.push(directory);
    return directory;
  };
  const running: ServerProcess[] = [];
  const serve = async (directory: string) => {
    const server = await spawnServer({ PARLEY_DATA_DIR: directory, PARLEY_KEY_CACHE_SECONDS: '0' });
    running.push(server);
    return server;
  };
  after(async () => {
    for (const server of running) if (server.child.exitCode === null) await server.stop();
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  test('a server with only CLI keys listens on every interface, requires a key, and documents the key schemes', async () => {
    const directory = dataDir();
    const { key } = await createKey(directory, 'only-cli');
    const server = await serve(directory);
    assert.match(server.output(), /client keys exist \(API_KEYS or `parley keys create`\): listening on 0\.0\.0\.0/);
    assert.doesNotMatch(server.output(), /no client keys set/);
    const address = listeningAddress(server.url);
    if (address !== undefined) assert.equal(address, '0.0.0.0');

    assert.deepEqual((await requestJson(`${server.url}/openapi.json`)).body.security, KEY_SCHEMES);
    const refused = await requestJson(`${server.url}/v1/models`);
    assert.deepEqual([refused.status, refused.body.error.code], [401, 'missing_api_key']);
    assert.equal((await requestJson(`${server.url}/v1/models`, { headers: { 'x-api-key': key } })).status, 200);
    assert.equal((await requestJson(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status, 200);
  });

  test('a key made while the server runs is required at once and documented, and opens the address after a restart', async () => {
    const directory = dataDir();
    const open = await serve(directory);
    assert.match(open.output(), /listening on 127\.0\.0\.1 only/);
    assert.deepEqual((await requestJson(`${open.url}/openapi.json`)).body.security, []);
    assert.equal((await requestJson(`${open.url}/v1/models`)).status, 200);

    const { key } = await createKey(directory, 'made-later');
    assert.deepEqual((await requestJson(`${open.url}/openapi.json`)).body.security, KEY_SCHEMES);
    assert.equal((await requestJson(`${open.url}/v1/models`)).status, 401);
    assert.equal((await requestJson(`${open.url}/v1/models`, { headers: { 'x-api-key': key } })).status, 200);
    const address = listeningAddress(open.url);
    if (address !== undefined) assert.equal(address, '127.0.0.1', 'the address stays as it was at startup');
    assert.equal(await open.stop(), 0);

    const restarted = await serve(directory);
    assert.match(restarted.output(), /listening on 0\.0\.0\.0/);
    const reopened = listeningAddress(restarted.url);
    if (reopened !== undefined) assert.equal(reopened, '0.0.0.0');
  });
});
