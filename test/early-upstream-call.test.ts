/**
 * A run's upstream call goes out while its row is being written (runs/early-attempt.ts).
 * When that write fails the run never starts: the client gets an error, the
 * upstream request already sent is aborted rather than left streaming, and the
 * server goes on serving. Real Parley on real SQLite (a trigger refuses the
 * run row), a real mock upstream process, the official `openai` SDK.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { startParley, type RunningParley } from './helpers/parley.js';

let upstream: MockUpstreamProcess;
let server: RunningParley;
let client: OpenAI;

before(async () => {
  upstream = await spawnMockUpstream(['--ttft-ms', '0', '--token-rate', '0', '--chunks', '40']);
  server = await startParley({ PARLEY_PROVIDER_BASE_URL: upstream.url, PARLEY_UPSTREAM_RETRIES: '0' });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => {
  await server.stop();
  await upstream.stop();
});

/** Streams one answer through the SDK; returns its finish reason. */
async function answer(content: string): Promise<string | null> {
  const stream = await client.chat.completions.create({ model: 'mock-model', stream: true, messages: [{ role: 'user', content }] });
  let finish: string | null = null;
  for await (const chunk of stream) finish = chunk.choices[0]?.finish_reason ?? finish;
  return finish;
}

/** Waits until `check` holds, polling every 25 ms for at most `ms`. */
async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return check();
}

describe('upstream call sent while the run row is written', () => {
  test('a run whose row cannot be written aborts its upstream call and answers with an error', async () => {
    // A kept-alive upstream connection, so the next request is on the wire at once, before the row's write fails.
    assert.equal(await answer('warm up'), 'stop');
    // 40 chunks at 4 a second: an answer nobody stops streams for 10 s.
    await upstream.admin.reset();
    await upstream.admin.setOptions({ tokenRate: 4 });
    const database = new Database(join(server.dataDir, 'parley.sqlite'));
    database.exec("CREATE TRIGGER refuse_runs BEFORE INSERT ON runs BEGIN SELECT RAISE(ABORT, 'runs refused by the test'); END");
    try {
      await assert.rejects(
        client.chat.completions.create({ model: 'mock-model', stream: true, messages: [{ role: 'user', content: 'never stored' }] }),
        (error: unknown) => error instanceof OpenAI.APIError && error.status !== undefined && error.status >= 500,
      );
      // The call went out before the write failed; it must not go on streaming an answer nobody reads.
      const aborted = await eventually(async () => {
        const requests = await upstream.admin.requests();
        return requests.length === 1 && requests[0]!.aborted;
      }, 3_000);
      assert.ok(aborted, `upstream requests: ${JSON.stringify((await upstream.admin.requests()).map(({ aborted, completed }) => ({ aborted, completed })))}`);
    } finally {
      database.exec('DROP TRIGGER refuse_runs');
      database.close();
    }
    // Nothing was left half-started: the next run streams its whole answer.
    await upstream.admin.setOptions({ tokenRate: 0 });
    assert.equal(await answer('stored'), 'stop');
  });
});
