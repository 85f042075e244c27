/**
 * The closed-loop load generator of `npm run bench`: `concurrency` clients,
 * each sending its next request as soon as the previous answer ended, for a
 * fixed time, over one keep-alive undici Pool (a connection per client).
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { FIRST_TOKEN, type Scenario } from './scenarios.js';
import { percentile, Tally } from './stats.js';

/** What one phase measured. Times in milliseconds. */
export interface PhaseResult {
  concurrency: number;
  /** Wall time from the first request to the end of the last answer (s). */
  seconds: number;
  /** Answers that arrived complete (status 200, first token and end marker seen). */
  completed: number;
  /** Completed answers per second. */
  perSecond: number;
  /** Request sent to the first answer token. */
  ttftP50Ms: number;
  ttftP99Ms: number;
  /** Request sent to the end of the answer. */
  totalP50Ms: number;
  totalP99Ms: number;
  errors: number;
  /** Error messages with their counts. */
  errorKinds: Record<string, number>;
}

const MARKER = Buffer.from(FIRST_TOKEN);
const TAIL_BYTES = 256;

/** Request options every phase shares. */
export interface Target {
  /** Base URL of the server, e.g. `http://127.0.0.1:8080`. */
  origin: string;
  /** Extra request headers (the client key). */
  headers: Record<string, string>;
  scenario: Scenario;
}

/**
 * Sends one request and resolves with its time to first token and total
 * time; rejects with a short message when the status is not 200 or the
 * answer misses its first token or end marker.
 */
async function measureOne(pool: Pool, target: Target, client: string): Promise<{ ttft: number; total: number }> {
  const { path, body } = target.scenario.request(client);
  const started = performance.now();
  const response = await pool.request({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', ...target.headers },
    body,
  });
  if (response.statusCode !== 200) {
    const text = await response.body.text();
    const code = /"code"\s*:\s*"([^"]+)"/.exec(text)?.[1];
    throw new Error(`status ${response.statusCode}${code === undefined ? '' : ` ${code}`}`);
  }
  let ttft = Number.NaN;
  let tail: Buffer = Buffer.alloc(0);
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    // Search across the chunk boundary too: the marker may arrive split.
    if (Number.isNaN(ttft) && Buffer.concat([tail.subarray(-MARKER.length), chunk]).includes(MARKER)) {
      ttft = performance.now() - started;
    }
    tail = chunk.length >= TAIL_BYTES ? chunk.subarray(-TAIL_BYTES) : Buffer.concat([tail, chunk]).subarray(-TAIL_BYTES);
  }
  const total = performance.now() - started;
  if (Number.isNaN(ttft)) throw new Error('answer without its first token');
  if (!tail.toString('utf8').includes(target.scenario.end)) throw new Error(`answer without "${target.scenario.end}"`);
  return { ttft, total };
}

/**
 * Runs `concurrency` closed-loop clients against `target` for `seconds`
 * (clients finish the answer in flight when time is up). `clientPrefix`
 * names the clients, so stored scenarios give each its own session.
 * Never rejects: failed requests are counted in `errors`.
 */
export async function runPhase(target: Target, options: { concurrency: number; seconds: number; clientPrefix: string }): Promise<PhaseResult> {
  const { concurrency } = options;
  const pool = new Pool(target.origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const ttfts: number[] = [];
  const totals: number[] = [];
  const errors = new Tally();
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const client = async (index: number): Promise<void> => {
    const name = `${options.clientPrefix}-${index}`;
    while (performance.now() < deadline) {
      try {
        const { ttft, total } = await measureOne(pool, target, name);
        ttfts.push(ttft);
        totals.push(total);
      } catch (error) {
        errors.add(error instanceof Error ? error.message : String(error));
        // A server that refuses at once must not turn the loop into a busy spin.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, index) => client(index)));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return {
    concurrency,
    seconds,
    completed: ttfts.length,
    perSecond: ttfts.length / seconds,
    ttftP50Ms: percentile(ttfts, 0.5),
    ttftP99Ms: percentile(ttfts, 0.99),
    totalP50Ms: percentile(totals, 0.5),
    totalP99Ms: percentile(totals, 0.99),
    errors: errors.total,
    errorKinds: errors.toJSON(),
  };
}
