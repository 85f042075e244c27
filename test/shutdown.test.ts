import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { requestJson } from './helpers/parley.js';
import { spawnServer, type ServerProcess } from './helpers/server-process.js';
import { readSse } from './helpers/sse.js';

const STREAMS = 20;
/** 24 mock chunks at 50 ms: each answer takes about 1.2 s. */
const CHUNK_DELAY_MS = '50';

/** An open conversation stream: the first event was read, the rest is being read. */
interface OpenStream {
  conversationId: string;
  /** Resolves with the data of the stream's last event once the server ends it. */
  last: Promise<Record<string, unknown> | undefined>;
}

async function openStream(url: string): Promise<OpenStream> {
  const conversation = (await requestJson(`${url}/conversations`, { body: {} })).body;
  await requestJson(`${url}/conversations/${conversation.id}/messages`, { body: { message: 'tell me a long story' } });
  const response = await fetch(`${url}/conversations/${conversation.id}/stream`);
  assert.equal(response.status, 200);
  const events = readSse(response);
  const first = await events.next();
  assert.equal(first.done, false, 'the stream sent a first event');
  const last = (async () => {
    let data: Record<string, unknown> | undefined;
    for await (const event of events) if (event.event === undefined) data = JSON.parse(event.data) as Record<string, unknown>;
    return data;
  })();
  return { conversationId: conversation.id, last };
}

async function waitForLog(server: ServerProcess, message: string): Promise<void> {
  for (let attempt = 0; attempt < 100 && !server.output().includes(message); attempt += 1) await sleep(20);
  assert.ok(server.output().includes(message), `the server logged "${message}"`);
}

/** Statuses of the stored assistant messages and runs, by count. */
function storedStatuses(dataDir: string): { messages: Record<string, number>; runs: Record<string, number> } {
  const database = new SQLite(join(dataDir, 'parley.sqlite'), { readonly: true });
  try {
    const count = (query: string) =>
      Object.fromEntries((database.prepare(query).all() as { status: string; count: number }[]).map((row) => [row.status, row.count]));
    return {
      messages: count("SELECT status, count(*) AS count FROM messages WHERE role = 'assistant' GROUP BY status"),
      runs: count('SELECT status, count(*) AS count FROM runs GROUP BY status'),
    };
  } finally {
    database.close();
  }
}

function userMessageCount(dataDir: string): number {
  const database = new SQLite(join(dataDir, 'parley.sqlite'), { readonly: true });
  try {
    return (database.prepare("SELECT count(*) AS count FROM messages WHERE role = 'user'").get() as { count: number }).count;
  } finally {
    database.close();
  }
}

/** The server's JSON log lines. */
function logLines(server: ServerProcess): Record<string, unknown>[] {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function startServer(dataDir: string, graceMs: number, chunkDelayMs = CHUNK_DELAY_MS): Promise<ServerProcess> {
  return spawnServer({
    PARLEY_DATA_DIR: dataDir,
    PARLEY_MOCK_CHUNK_DELAY_MS: chunkDelayMs,
    PARLEY_SHUTDOWN_GRACE_MS: String(graceMs),
    PARLEY_RATE_LIMIT_IP_PER_MINUTE: '0',
    PARLEY_RATE_LIMIT_KEY_PER_MINUTE: '0',
  });
}

describe('graceful shutdown of the server process', () => {
  test(`SIGTERM with a short grace: ${STREAMS} streaming answers are stored as interrupted, none left streaming, exit 0`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-shutdown-'));
    try {
      const server = await startServer(dataDir, 300);
      const streams = await Promise.all(Array.from({ length: STREAMS }, () => openStream(server.url)));
      const exitCode = await server.stop('SIGTERM');
      assert.equal(exitCode, 0);

      // Every client got a final event before its connection was closed.
      const lasts = await Promise.all(streams.map((stream) => stream.last));
      for (const last of lasts) assert.equal(last?.done, true, `final event: ${JSON.stringify(last)}`);
      assert.ok(lasts.some((last) => last?.cancelled === true), 'the grace period cut some answers');

      const { messages, runs } = storedStatuses(dataDir);
      assert.equal(messages.streaming, undefined);
      assert.equal(runs.streaming, undefined);
      assert.equal((messages.complete ?? 0) + (messages.interrupted ?? 0), STREAMS, JSON.stringify(messages));
      assert.ok((messages.interrupted ?? 0) > 0, JSON.stringify(messages));
      assert.deepEqual(runs, messages);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test(`SIGTERM with a long grace: all ${STREAMS} answers complete, new chats get 503 meanwhile, exit as soon as they are done`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-shutdown-'));
    try {
      const graceMs = 20_000;
      const server = await startServer(dataDir, graceMs);
      const streams = await Promise.all(Array.from({ length: STREAMS }, () => openStream(server.url)));
      const idle = (await requestJson(`${server.url}/conversations`, { body: {} })).body as { id: string };
      const signalledAt = Date.now();
      const exited = server.stop('SIGTERM');
      await waitForLog(server, 'shutting down');

      // Draining: reads work, new runs are refused, readiness fails.
      const refused = await requestJson(`${server.url}/v1/chat/completions`, {
        body: { model: 'mock-model', messages: [{ role: 'user', content: 'too late' }] },
      });
      assert.equal(refused.status, 503);
      assert.equal(refused.body.error.code, 'shutting_down');
      // A message no answer could follow is refused too, and not stored.
      const message = await requestJson(`${server.url}/conversations/${idle.id}/messages`, { body: { message: 'one more' } });
      assert.equal(message.status, 503);
      assert.equal(message.body.error.code, 'shutting_down');
      const ready = await requestJson(`${server.url}/health/ready`);
      assert.equal(ready.status, 503);
      assert.deepEqual(ready.body.failed, ['accepting']);
      assert.equal((await requestJson(`${server.url}/conversations/${streams[0]!.conversationId}/messages`)).status, 200);

      assert.equal(await exited, 0);
      assert.ok(Date.now() - signalledAt < graceMs / 2, 'the process exits once the answers are done, not at the end of the grace');
      const lasts = await Promise.all(streams.map((stream) => stream.last));
      for (const last of lasts) assert.deepEqual([last?.done, last?.finish_reason], [true, 'stop']);

      const { messages, runs } = storedStatuses(dataDir);
      // The refused /v1 request started no run.
      assert.deepEqual(messages, { complete: STREAMS });
      assert.deepEqual(runs, { complete: STREAMS });
      assert.equal(userMessageCount(dataDir), STREAMS);

      // Each refusal is one info line with its code, not an error with a stack.
      const refusals = logLines(server).filter((line) => line.code === 'shutting_down');
      assert.equal(refusals.length, 2, JSON.stringify(refusals));
      for (const line of refusals) {
        assert.equal(line.level, 30);
        assert.match(String(line.msg), /^request refused: The server is shutting down/);
        assert.equal(line.err, undefined);
      }
      assert.deepEqual(logLines(server).filter((line) => Number(line.level) >= 50), []);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  for (const [first, second] of [
    ['SIGINT', 'SIGTERM'],
    ['SIGTERM', 'SIGINT'],
  ] as const) {
    test(`${first} then ${second}: the second signal exits at once instead of waiting out the grace period`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'parley-shutdown-'));
      try {
        // 24 chunks 500 ms apart: the answer would take 12 s, the grace allows 20 s.
        const server = await startServer(dataDir, 20_000, '500');
        const stream = await openStream(server.url);
        // The connection is cut when the process exits; that is the point.
        stream.last.catch(() => undefined);
        server.child.kill(first);
        await waitForLog(server, 'shutting down');
        const signalledAt = Date.now();
        const exited = server.stop(second);
        const code = await exited;
        assert.ok(Date.now() - signalledAt < 3_000, `exited ${Date.now() - signalledAt} ms after the second signal`);
        assert.equal(code, second === 'SIGTERM' ? 143 : 130);
        assert.ok(server.output().includes('second signal: exiting at once'));
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});
