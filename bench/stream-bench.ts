/**
 * `npm run bench`: streaming throughput and time to first token of Parley's
 * `/v1/chat/completions` against the mock upstream it proxies, side by side.
 * Starts `parley mock-upstream` and `parley serve` as real processes, drives
 * each at concurrency 1 and 32 for a fixed time, and prints streams/s and
 * time-to-first-byte percentiles with the Parley/mock ratio. Then opens
 * BENCH_CONCURRENT_STREAMS (2000) streams at once against an upstream that
 * holds every answer, and reports how many reached the upstream together
 * (a connection cap would hold the rest in Parley's queue). A measurement,
 * not a test: it never fails on numbers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5_000);
const WARMUP_MS = 1_000;
const CONCURRENCIES = [1, 32];
const CHUNKS = 24;
const CONCURRENT_STREAMS = Number(process.env.BENCH_CONCURRENT_STREAMS ?? 2_000);
/** How long the held upstream waits before answering, ms: long enough for every stream to arrive. */
const HOLD_MS = 20_000;
const BODY = JSON.stringify({ model: 'mock-model', stream: true, messages: [{ role: 'user', content: 'benchmark' }] });

interface Result {
  streams: number;
  errors: number;
  seconds: number;
  ttft: number[];
}

/** Spawns the CLI; resolves once stdout matches `pattern`, or at once without one. */
function startProcess(args: string[], environment: Record<string, string>, pattern?: RegExp): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
    env: { ...process.env, ...environment },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (pattern === undefined) return Promise.resolve({ child, url: '' });
  return new Promise((resolve, reject) => {
    let output = '';
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      const match = pattern.exec(output);
      if (match?.[1] !== undefined) resolve({ child, url: match[1] });
    });
  });
}

/** A port the OS says is free now (Parley logs at warn level, so it cannot report its own). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`parley did not answer on ${url}`);
}

async function oneStream(pool: Pool, path: string): Promise<number> {
  const started = performance.now();
  const response = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body: BODY });
  if (response.statusCode !== 200) {
    await response.body.dump();
    throw new Error(`status ${response.statusCode}`);
  }
  let firstByte = 0;
  let text = '';
  for await (const chunk of response.body) {
    if (firstByte === 0) firstByte = performance.now() - started;
    text += (chunk as Buffer).toString();
  }
  if (!text.includes('[DONE]')) throw new Error('stream ended without [DONE]');
  return firstByte;
}

async function drive(origin: string, path: string, concurrency: number): Promise<Result> {
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 });
  const result: Result = { streams: 0, errors: 0, seconds: 0, ttft: [] };
  const warmupEnds = performance.now() + WARMUP_MS;
  const ends = warmupEnds + DURATION_MS;
  const worker = async () => {
    while (performance.now() < ends) {
      try {
        const ttft = await oneStream(pool, path);
        if (performance.now() > warmupEnds) {
          result.streams += 1;
          result.ttft.push(ttft);
        }
      } catch {
        result.errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  result.seconds = DURATION_MS / 1000;
  await pool.close();
  return result;
}

function percentile(values: number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

function row(label: string, concurrency: number, result: Result): string[] {
  return [
    label,
    String(concurrency),
    (result.streams / result.seconds).toFixed(1),
    percentile(result.ttft, 0.5).toFixed(2),
    percentile(result.ttft, 0.99).toFixed(2),
    String(result.errors),
  ];
}

/** `parley serve` in front of `upstream`, quiet (warn level), without rate limits; resolves once healthy. */
async function startParley(upstream: string, dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const parley = await startProcess(['serve'], {
    PORT: String(port),
    PARLEY_DATA_DIR: dataDir,
    PARLEY_PROVIDER_BASE_URL: `${upstream}/v1`,
    MODEL_NAME: 'mock-model',
    LOG_LEVEL: 'warn',
    API_KEYS: '',
    PARLEY_RATE_LIMIT_IP_PER_MINUTE: '0',
    PARLEY_RATE_LIMIT_KEY_PER_MINUTE: '0',
    PARLEY_FIRST_BYTE_TIMEOUT_MS: String(HOLD_MS * 2),
  });
  parley.url = `http://127.0.0.1:${port}`;
  await waitForHealth(parley.url);
  return parley;
}

/**
 * Opens `streams` streams through Parley at once against an upstream that
 * holds its answers, and counts how many the upstream saw before the first
 * answer could have been sent.
 */
async function concurrentStreams(streams: number): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const held = await startProcess(['mock-upstream', '--port', '0', '--chunks', '4', '--ttft-ms', String(HOLD_MS)], {}, /listening on (http:\/\/\S+)\/v1/);
  const parley = await startParley(held.url, dataDir);
  const pool = new Pool(parley.url, { connections: streams, pipelining: 1 });
  const started = performance.now();
  let errors = 0;
  const all = Promise.all(
    Array.from({ length: streams }, () =>
      oneStream(pool, '/v1/chat/completions').catch(() => {
        errors += 1;
      }),
    ),
  );
  let reached = 0;
  let reachedAfterMs = 0;
  while (performance.now() - started < HOLD_MS - 2_000) {
    const recorded = (await (await fetch(`${held.url}/mock/requests`)).json()) as { path: string }[];
    reached = recorded.filter((request) => request.path === '/v1/chat/completions').length;
    reachedAfterMs = performance.now() - started;
    if (reached >= streams) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await all;
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  held.child.kill('SIGTERM');
  parley.child.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
  return (
    `${streams} concurrent streams: ${reached} reached the upstream at once (within ${(reachedAfterMs / 1000).toFixed(1)} s), ` +
    `all ended after ${seconds.toFixed(1)} s (answers held ${HOLD_MS / 1000} s), ${errors} errors`
  );
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const mock = await startProcess(['mock-upstream', '--port', '0', '--chunks', String(CHUNKS)], {}, /listening on (http:\/\/\S+)\/v1/);
  const parley = await startParley(mock.url, dataDir);
  const rows: string[][] = [['target', 'concurrency', 'streams/s', 'ttfb p50 ms', 'ttfb p99 ms', 'errors']];
  const ratios: string[] = [];
  for (const concurrency of CONCURRENCIES) {
    const direct = await drive(mock.url, '/v1/chat/completions', concurrency);
    const proxied = await drive(parley.url, '/v1/chat/completions', concurrency);
    rows.push(row('mock direct', concurrency, direct), row('parley', concurrency, proxied));
    ratios.push(
      `concurrency ${concurrency}: parley/mock throughput ${((proxied.streams / direct.streams) * 100).toFixed(0)}%, ` +
        `ttfb p50 +${(percentile(proxied.ttft, 0.5) - percentile(direct.ttft, 0.5)).toFixed(2)} ms`,
    );
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((cells) => cells[column]!.length)));
  console.log(`\nstreaming /v1/chat/completions, ${CHUNKS} chunks per answer, ${DURATION_MS / 1000}s per run after ${WARMUP_MS / 1000}s warm-up\n`);
  for (const cells of rows) console.log(cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
  console.log(`\n${ratios.join('\n')}\n`);
  mock.child.kill('SIGTERM');
  parley.child.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
  if (CONCURRENT_STREAMS > 0) console.log(`${await concurrentStreams(CONCURRENT_STREAMS)}\n`);
}

await main();
