// The measuring tools under bench/: the minimal relay, the load generators and their statistics.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { measureRow, medianOfRounds } from '../bench/lib/measure.js';
import { HAS_PROC } from '../bench/lib/proc.js';
import { startParley, startRelay, type BenchProcess } from '../bench/lib/processes.js';
import { FIRST_TOKEN, SCENARIOS } from '../bench/lib/scenarios.js';
import { SlowStreamClient } from '../bench/lib/slow-streams.js';
import { percentile, slope, Tally } from '../bench/lib/stats.js';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';

const PROMPT = 'benchmark';

describe('bench statistics', () => {
  test('percentile takes the nearest rank and leaves its input unsorted', () => {
    const values = [5, 1, 4, 2, 3, 6, 8, 7, 10, 9];
    assert.equal(percentile(values, 0.5), 5);
    assert.equal(percentile(values, 0.99), 10);
    assert.equal(percentile(values, 0.1), 1);
    assert.deepEqual(values.slice(0, 3), [5, 1, 4]);
    assert.ok(Number.isNaN(percentile([], 0.5)));
  });

  test('slope is the least-squares growth of y per unit of x', () => {
    assert.equal(slope([{ x: 0, y: 100 }, { x: 10, y: 130 }, { x: 20, y: 160 }]), 3);
    assert.ok(Number.isNaN(slope([{ x: 1, y: 1 }])));
    assert.ok(Number.isNaN(slope([{ x: 2, y: 1 }, { x: 2, y: 5 }])));
  });

  test('a tally counts each message and lists the most frequent first', () => {
    const tally = new Tally();
    for (const message of ['status 504', 'socket ECONNRESET', 'status 504']) tally.add(message);
    assert.equal(tally.total, 3);
    assert.deepEqual(Object.entries(tally.toJSON()), [['status 504', 2], ['socket ECONNRESET', 1]]);
  });
});

describe('the minimal relay and the closed-loop load', () => {
  let upstream: MockUpstreamProcess;
  let relay: BenchProcess;
  let workDir: string;
  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'parley-bench-test-'));
    upstream = await spawnMockUpstream(['--chunks', '5']);
    relay = await startRelay({ upstreamUrl: upstream.url, logFile: join(workDir, 'relay.log'), pin: false });
  });
  after(async () => {
    await relay?.stop();
    await upstream?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('relays a streamed answer chunk by chunk, re-serialized, to the OpenAI SDK', async () => {
    const direct = new OpenAI({ baseURL: upstream.url, apiKey: 'unused', maxRetries: 0 });
    const relayed = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const request = { model: 'mock-model', stream: true as const, messages: [{ role: 'user' as const, content: PROMPT }] };
    const collect = async (client: OpenAI) => {
      const deltas: string[] = [];
      const finishes: (string | null)[] = [];
      for await (const chunk of await client.chat.completions.create(request)) {
        deltas.push(chunk.choices[0]?.delta.content ?? '');
        finishes.push(chunk.choices[0]?.finish_reason ?? null);
      }
      return { deltas, finishes };
    };
    const expected = await collect(direct);
    const actual = await collect(relayed);
    assert.equal(actual.deltas.length, 7, 'role chunk, 5 answer chunks, finish chunk');
    assert.deepEqual(actual, expected);
    assert.ok(actual.deltas[1]!.startsWith(`${FIRST_TOKEN} to "${PROMPT}"`));
  });

  test('answers stream: false by asking the upstream for JSON', async () => {
    const relayed = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const completion = await relayed.chat.completions.create({ model: 'mock-model', stream: false, messages: [{ role: 'user', content: PROMPT }] });
    assert.equal(completion.object, 'chat.completion');
    assert.match(completion.choices[0]!.message.content ?? '', /^Mock reply to "benchmark":( \S+){4}$/);
    const upstreamBodies = (await upstream.admin.requests()).map((recorded) => recorded.body as { stream?: boolean });
    assert.equal(upstreamBodies.at(-1)?.stream, false);
  });

  test('a measured row counts every completed answer, their latency and the server CPU', async () => {
    const target = { origin: relay.url, headers: {}, scenario: SCENARIOS['v1-stream'] };
    const durations = { warmupSeconds: 0, cpuSeconds: 0.4, latencySeconds: 0.3 };
    let phases = 0;
    const measurement = await measureRow(target, relay.pid, durations, async () => {
      phases += 1;
    });
    assert.equal(phases, 3);
    for (const phase of [measurement.cpu.phase, measurement.low, measurement.high]) {
      assert.equal(phase.errors, 0, JSON.stringify(phase.errorKinds));
      assert.ok(phase.completed > 0);
      assert.ok(phase.ttftP50Ms > 0 && phase.ttftP50Ms <= phase.totalP99Ms);
    }
    assert.deepEqual([measurement.cpu.phase.concurrency, measurement.low.concurrency, measurement.high.concurrency], [16, 1, 32]);
    if (HAS_PROC) assert.ok(measurement.cpu.microsPerRequest! > 0);
    const combined = medianOfRounds([measurement, measurement, measurement]);
    assert.equal(combined.low.completed, 3 * measurement.low.completed);
    assert.equal(combined.low.ttftP50Ms, measurement.low.ttftP50Ms);
  });

  test('a failing answer is counted as an error with its status and code', async () => {
    await upstream.admin.setOptions({ failStatus: 429, faultTimes: 1 });
    const target = { origin: relay.url, headers: {}, scenario: SCENARIOS['v1-json'] };
    const measurement = await measureRow(target, relay.pid, { warmupSeconds: 0, cpuSeconds: 0.2, latencySeconds: 0.2 }, async () => {});
    assert.deepEqual(measurement.cpu.phase.errorKinds, { 'status 429 rate_limit_exceeded': 1 });
  });
});

describe('the slow-stream client', () => {
  let upstream: MockUpstreamProcess;
  let parley: BenchProcess;
  let workDir: string;
  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'parley-bench-test-'));
    upstream = await spawnMockUpstream(['--chunks', '3', '--token-rate', '50']);
    parley = await startParley({ source: 'source', upstreamUrl: upstream.url, apiKey: 'bench-key', dataDir: workDir, logFile: join(workDir, 'parley.log'), pin: false });
  });
  after(async () => {
    await parley?.stop();
    await upstream?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  function client(origin: string, sourceAddresses = ['127.0.0.1']): SlowStreamClient {
    const url = new URL(origin);
    return new SlowStreamClient({
      host: url.hostname,
      port: Number(url.port),
      path: '/v1/chat/completions',
      headers: { authorization: 'Bearer bench-key' },
      body: SCENARIOS['v1-stream'].request('test').body,
      firstToken: FIRST_TOKEN,
      sourceAddresses,
    });
  }

  async function settle(streams: SlowStreamClient): Promise<void> {
    for (let wait = 0; streams.counts.open > 0 && wait < 200; wait += 1) await new Promise((resolve) => setTimeout(resolve, 25));
  }

  test('follows concurrent streams through Parley to [DONE] from several source addresses', async () => {
    const streams = client(parley.url, ['127.0.0.1', '127.0.0.2']);
    for (let index = 0; index < 6; index += 1) streams.open();
    await settle(streams);
    assert.deepEqual(streams.errors.toJSON(), {});
    assert.deepEqual(streams.counts, { opened: 6, open: 0, flowing: 0, completed: 6, failed: 0, events: 6 * 6 });
    assert.equal(streams.firstTokenMs.length, 6);
    assert.equal(streams.maxGapMs.length, 6);
  });

  test('counts refusals by status and code, and streams cut short', async () => {
    await upstream.admin.setOptions({ failStatus: 401, faultTimes: 1 });
    const refused = client(upstream.url.replace(/\/v1$/, ''));
    refused.open();
    await settle(refused);
    assert.deepEqual(refused.errors.toJSON(), { 'status 401 invalid_api_key': 1 });

    await upstream.admin.setOptions({ dropAfter: 2, faultTimes: 1 });
    const dropped = client(upstream.url.replace(/\/v1$/, ''));
    dropped.open();
    await settle(dropped);
    assert.deepEqual(dropped.errors.toJSON(), { 'closed before [DONE]': 1 });
    assert.equal(dropped.firstFailure?.reason, 'closed before [DONE]');
  });

  test('closing at a time limit counts every open stream as failed, with how far it got', async () => {
    await upstream.admin.setOptions({ stallAfter: 1, faultTimes: 2 });
    const stalled = client(upstream.url.replace(/\/v1$/, ''));
    stalled.open();
    stalled.open();
    await new Promise((resolve) => setTimeout(resolve, 200));
    stalled.closeAll('time limit');
    assert.deepEqual(stalled.errors.toJSON(), { 'time limit (no token yet)': 2 });
    assert.equal(stalled.counts.open, 0);
  });
});

describe('npm run bench:flood', () => {
  test('a trickle reader that leaves: /health timed during the flood, Parley RSS before and at its peak, the partial answer counted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-flood-test-'));
    const out = join(dir, 'flood.json');
    try {
      const args = ['--import', 'tsx', 'bench/flood.ts', '--chunks', '20000', '--reader-kib-per-second', '64', '--reader-seconds', '1', '--baseline-seconds', '0.2', '--no-pin', '--from-source', '--out', out];
      const { stdout } = await promisify(execFile)(process.execPath, args, { timeout: 60_000 });
      assert.match(stdout, /a reader taking 64 KiB\/s/);
      const result = JSON.parse(readFileSync(out, 'utf8')) as {
        reader: { kibPerSecond: number; leftAfterSeconds: number };
        flood: { megabytes: number; seconds: number; complete: boolean };
        healthDuringFlood: { samples: number };
        parleyRss?: { beforeMb: number; peakMb: number };
      };
      assert.deepEqual(result.reader, { kibPerSecond: 64, leftAfterSeconds: 1 });
      assert.equal(result.flood.complete, false, 'the reader left before the end');
      assert.ok(result.flood.seconds >= 1 && result.flood.seconds < 5, `left after ${result.flood.seconds} s`);
      // One second at 64 KiB/s, plus what the first network reads bring at once.
      assert.ok(result.flood.megabytes > 0.01 && result.flood.megabytes < 1, `${result.flood.megabytes} MB read`);
      assert.ok(result.healthDuringFlood.samples > 10);
      if (HAS_PROC) assert.ok(result.parleyRss !== undefined && result.parleyRss.peakMb >= result.parleyRss.beforeMb);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npm run bench:streams', () => {
  test('--system relay measures the minimal relay under slow streams; --cpu-prof and --node-arg reach its Node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-streams-test-'));
    const out = join(dir, 'streams.json');
    const profiles = join(dir, 'profiles');
    try {
      const args = ['--import', 'tsx', 'bench/streams.ts', '--system', 'relay', '--streams', '12', '--interval-ms', '50', '--hold-seconds', '1', '--ramp-seconds', '0'];
      args.push('--source-ips', '1', '--no-pin', '--from-source', '--cpu-prof', profiles, '--node-arg=--cpu-prof-name=relay.cpuprofile', '--out', out);
      const { stdout } = await promisify(execFile)(process.execPath, args, { timeout: 60_000 });
      assert.match(stdout, /the relay \(bench\/relay\.ts\)/);
      assert.match(stdout, /relay RSS/);
      const result = JSON.parse(readFileSync(out, 'utf8')) as { settings: { system: string }; summary: { completed: number; failed: number } };
      assert.equal(result.settings.system, 'relay');
      assert.deepEqual([result.summary.completed, result.summary.failed], [12, 0]);
      // V8 writes the profile as the relay exits on SIGTERM, under the name --node-arg gave.
      assert.deepEqual(readdirSync(profiles), ['relay.cpuprofile']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an unknown --system is refused by name', async () => {
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/streams.ts', '--system', 'nginx'], { timeout: 30_000 });
    await assert.rejects(run, (error: { code?: number; stderr?: string }) => error.code === 2 && /--system is parley or relay, not nginx/.test(error.stderr ?? ''));
  });
});
