/**
 * Run leases across real server processes sharing one database: an instance
 * that dies leaves its answers to lease recovery, a restarting instance
 * touches no other instance's running answer, and seed-000 tasks (runs) are
 * readable from any instance and after a restart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { requestJson, startParley } from './helpers/parley.js';
import { spawnServer, type ServerProcess } from './helpers/server-process.js';
import { readSse } from './helpers/sse.js';

const NO_RATE_LIMITS = { PARLEY_RATE_LIMIT_IP_PER_MINUTE: '0', PARLEY_RATE_LIMIT_KEY_PER_MINUTE: '0' };

/** Starts an answer on `url` and reads its first event; resolves with the run id and the rest of the stream. */
async function startAnswer(url: string): Promise<{ runId: string; conversationId: string; last: Promise<Record<string, unknown> | undefined> }> {
  const conversation = (await requestJson(`${url}/conversations`, { body: {} })).body;
  await requestJson(`${url}/conversations/${conversation.id}/messages`, { body: { message: 'a long story, please' } });
  const response = await fetch(`${url}/conversations/${conversation.id}/stream`);
  assert.equal(response.status, 200);
  const events = readSse(response);
  const first = await events.next();
  assert.equal(first.done, false);
  const runId = first.value.id!.split(':')[0]!;
  const last = (async () => {
    let data: Record<string, unknown> | undefined;
    try {
      for await (const event of events) if (event.event === undefined) data = JSON.parse(event.data) as Record<string, unknown>;
    } catch {
      // The connection of a killed instance breaks; what arrived before is the answer.
    }
    return data;
  })();
  return { runId, conversationId: conversation.id, last };
}

async function runStatus(url: string, runId: string): Promise<string> {
  return (await requestJson(`${url}/runs/${runId}`)).body.status as string;
}

describe('run leases across instances', () => {
  test("a restarting instance leaves another instance's live run alone while an expired lease is recovered", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-leases-'));
    // 24 mock chunks at 400 ms: an answer takes about ten seconds.
    const environment = { ...NO_RATE_LIMITS, PARLEY_DATA_DIR: dataDir, PARLEY_RUN_LEASE_SECONDS: '1', PARLEY_MOCK_CHUNK_DELAY_MS: '400' };
    const servers: ServerProcess[] = [];
    try {
      const dying = await spawnServer({ ...environment, PARLEY_INSTANCE_ID: 'instance-a' });
      servers.push(dying);
      const living = await spawnServer({ ...environment, PARLEY_INSTANCE_ID: 'instance-b' });
      servers.push(living);
      const lost = await startAnswer(dying.url);
      const kept = await startAnswer(living.url);
      await dying.stop('SIGKILL');
      await lost.last;

      // Another instance starts after the dead one's lease ran out.
      await sleep(1_200);
      const restarting = await spawnServer({ ...environment, PARLEY_INSTANCE_ID: 'instance-c' });
      servers.push(restarting);
      assert.equal(await runStatus(restarting.url, lost.runId), 'interrupted');
      assert.equal(await runStatus(restarting.url, kept.runId), 'streaming');
      const partial = (await requestJson(`${restarting.url}/conversations/${lost.conversationId}/messages`)).body.messages[1];
      assert.equal(partial.status, 'interrupted');
      assert.equal(partial.error.code, 'interrupted');

      // The live answer runs to its end on its own instance, renewing its lease all along.
      const last = await kept.last;
      assert.deepEqual([last?.done, last?.finish_reason], [true, 'stop']);
      assert.equal(await runStatus(restarting.url, kept.runId), 'complete');
      const answer = (await requestJson(`${restarting.url}/conversations/${kept.conversationId}/messages`)).body.messages[1];
      assert.equal(answer.status, 'complete');
    } finally {
      for (const server of servers) await server.stop('SIGKILL').catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('tasks are runs', () => {
  test('another instance on the same database answers /chat/status and /chat/result for a task', async () => {
    const first = await startParley({ ...NO_RATE_LIMITS, PARLEY_INSTANCE_ID: 'tasks-one', PARLEY_MOCK_CHUNK_DELAY_MS: '5' });
    const second = await startParley({ ...NO_RATE_LIMITS, PARLEY_INSTANCE_ID: 'tasks-two' }, first.dataDir);
    try {
      const started = await requestJson(`${first.url}/chat/start`, { body: { user_id: 'shared-user', message: 'Where am I answered?' } });
      const taskId = started.body.task_id as string;
      let result;
      for (let attempt = 0; attempt < 200; attempt += 1) {
        result = await requestJson(`${second.url}/chat/result/${taskId}`);
        if (result.status === 200) break;
        assert.equal(result.status, 202);
        await sleep(25);
      }
      assert.equal(result?.status, 200);
      const onFirst = await requestJson(`${first.url}/chat/result/${taskId}`);
      assert.equal(result?.body.final_answer, onFirst.body.final_answer);
      assert.equal(result?.body.status, 'complete');
      assert.equal((await requestJson(`${second.url}/chat/status/${taskId}`)).body.status, 'complete');
    } finally {
      await second.stop({ keepData: true });
      await first.stop();
    }
  });

  test('a task interrupted by a shutdown reads as cancelled, with its partial answer, after the restart', async () => {
    const environment = { ...NO_RATE_LIMITS, PARLEY_MOCK_CHUNK_DELAY_MS: '100' };
    const first = await startParley(environment);
    const started = await requestJson(`${first.url}/chat/start`, { body: { user_id: 'restart-user', message: 'Survive a restart', thinking: 'off' } });
    const taskId = started.body.task_id as string;
    for (let attempt = 0; attempt < 200; attempt += 1) {
      if ((await requestJson(`${first.url}/chat/status/${taskId}`)).body.status === 'answering') break;
      await sleep(25);
    }
    await sleep(300);
    await first.stop({ keepData: true, graceMs: 0 });

    const second = await startParley(environment, first.dataDir);
    try {
      const status = await requestJson(`${second.url}/chat/status/${taskId}`);
      assert.equal(status.status, 200);
      assert.equal(status.body.status, 'cancelled');
      const result = await requestJson(`${second.url}/chat/result/${taskId}`);
      assert.equal(result.status, 200);
      assert.equal(result.body.status, 'cancelled');
      assert.ok(result.body.final_answer.length > 0, 'the partial answer is kept');
      const stored = (await requestJson(`${second.url}/conversations`)).body.conversations.find((item: { external_id: string }) => item.external_id === 'restart-user');
      const messages = (await requestJson(`${second.url}/conversations/${stored.id}/messages`)).body.messages;
      assert.deepEqual([messages[1].status, messages[1].content], ['interrupted', result.body.final_answer]);
    } finally {
      await second.stop();
    }
  });
});
