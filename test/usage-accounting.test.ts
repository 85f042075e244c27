/**
 * Honest usage accounting (README "Operations", Usage): `/usage`, runs, stored messages and
 * metrics count only what providers spent. An answer replayed from the
 * response cache spends nothing and is counted as a cached answer with the
 * tokens it saved; usage means OpenAI's definitions whatever the provider
 * (reasoning tokens inside `completion_tokens`), with the cost a provider
 * reports kept as `cost_usd`. Checked end to end on a real upstream process,
 * including the recorded xAI and OpenRouter streams.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { upstreamStream } from './helpers/fixtures.js';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';

/** The totals of GET /usage. */
interface Totals {
  runs: number;
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
  total_tokens: number;
  cached_answers: number;
  saved_tokens: number;
  cost_usd: number;
}

async function totals(server: RunningParley): Promise<Totals> {
  const response = await requestJson(`${server.url}/usage`);
  assert.equal(response.status, 200);
  return response.body.totals as Totals;
}

/** Sum of one Prometheus counter's series. */
async function counter(server: RunningParley, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('a response-cache hit spends no provider tokens', () => {
  let upstream: MockUpstreamProcess;
  let server: RunningParley;
  before(async () => {
    upstream = await spawnMockUpstream(['--any-model']);
    server = await startParley({ PARLEY_PROVIDER_BASE_URL: upstream.url, MODEL_NAME: 'mock-model', PARLEY_UPSTREAM_RETRIES: '0' });
  });
  after(async () => {
    await server.stop();
    await upstream.stop();
  });

  const upstreamCalls = async () => (await upstream.admin.requests()).filter((request) => request.path === '/v1/chat/completions').length;
  const send = async (session: string) => {
    const response = await requestJson(`${server.url}/api/chat/send`, { body: { session_id: session, content: 'count me once' } });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body as { message: { id: string } };
  };

  test('a cached answer adds 0 spent tokens and 1 cached answer to /usage, with what its original cost as saved', async () => {
    await send('paid');
    const paid = await totals(server);
    assert.equal(paid.runs, 1);
    assert.ok(paid.total_tokens > 0, 'the first answer was paid for');
    assert.deepEqual([paid.cached_answers, paid.saved_tokens], [0, 0]);
    const calls = await upstreamCalls();
    const tokensCounted = await counter(server, 'parley_tokens_total');
    const hits = await counter(server, 'parley_cache_hits_total');

    // Another session asking the same: the same upstream request, answered from the cache.
    const replayed = await send('replayed');
    assert.equal(await upstreamCalls(), calls, 'no provider call');
    const after = await totals(server);
    assert.equal(after.runs, 2);
    assert.deepEqual(
      [after.prompt_tokens, after.completion_tokens, after.reasoning_tokens, after.total_tokens, after.cost_usd],
      [paid.prompt_tokens, paid.completion_tokens, paid.reasoning_tokens, paid.total_tokens, paid.cost_usd],
      'the hit spent nothing',
    );
    assert.equal(after.cached_answers, 1);
    assert.equal(after.saved_tokens, paid.total_tokens, 'what the original answer cost is saved, not spent');

    // Metrics count the hit, not tokens.
    assert.equal(await counter(server, 'parley_tokens_total'), tokensCounted);
    assert.equal(await counter(server, 'parley_cache_hits_total'), hits + 1);

    // The stored answer and its run say so.
    const { conversations } = (await requestJson(`${server.url}/conversations`)).body as { conversations: { id: string }[] };
    const answers = [];
    for (const conversation of conversations) {
      const listing = (await requestJson(`${server.url}/conversations/${conversation.id}/messages`)).body as { messages: { id: string; run_id?: string; usage?: Record<string, unknown> }[] };
      answers.push(...listing.messages.filter((message) => message.run_id !== undefined));
    }
    const hit = answers.find((message) => message.id === replayed.message.id)!;
    assert.deepEqual(hit.usage, { prompt_tokens: 0, completion_tokens: 0, reasoning_tokens: 0, cached_tokens: 0, cache_hit: true, saved_tokens: paid.total_tokens });
    const original = answers.find((message) => message.id !== replayed.message.id)!;
    assert.equal(original.usage?.cache_hit, undefined);
    const run = (await requestJson(`${server.url}/runs/${hit.run_id}`)).body as { usage: Record<string, unknown> };
    assert.deepEqual([run.usage.cache_hit, run.usage.saved_tokens, run.usage.prompt_tokens], [true, paid.total_tokens, 0]);
  });
});

/** The last usage object of a recorded stream, and what it means as OpenAI defines usage. */
function recordedUsage(name: string) {
  const lines = readFileSync(upstreamStream(name), 'utf8').split('\n').filter((line) => line.trim() !== '');
  const usage = lines.map((line) => JSON.parse(line) as { usage?: Record<string, unknown> }).findLast((chunk) => chunk.usage != null)!.usage as {
    prompt_tokens: number;
    total_tokens: number;
    completion_tokens_details?: { reasoning_tokens?: number };
    cost?: number;
    cost_in_usd_ticks?: number;
  };
  return {
    prompt_tokens: usage.prompt_tokens,
    // OpenAI: total = prompt + completion, and completion includes reasoning.
    completion_tokens: usage.total_tokens - usage.prompt_tokens,
    reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
    // xAI: 1 USD = 1e10 ticks (https://docs.x.ai/developers/cost-tracking); OpenRouter: USD.
    cost_usd: usage.cost ?? (usage.cost_in_usd_ticks ?? 0) / 1e10,
  };
}

describe('usage normalized across providers: the recorded xAI and OpenRouter streams', () => {
  let upstream: MockUpstreamProcess;
  let server: RunningParley;
  before(async () => {
    upstream = await spawnMockUpstream([]);
    server = await startParley({ PARLEY_PROVIDER_BASE_URL: upstream.url, MODEL_NAME: 'mock-model', PARLEY_UPSTREAM_RETRIES: '0' });
  });
  after(async () => {
    await server.stop();
    await upstream.stop();
  });

  for (const name of ['xai-text', 'openrouter-usage']) {
    test(`${name}: completion_tokens includes reasoning, the reported cost is cost_usd, and /usage adds it up`, async () => {
      await upstream.admin.setOptions({ replayFile: upstreamStream(name) });
      const expected = recordedUsage(name);
      const before = await totals(server);
      const response = await requestJson(`${server.url}/v1/chat/completions`, { body: { model: 'mock-model', messages: [{ role: 'user', content: 'hi' }] } });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const usage = response.body.usage as { prompt_tokens: number; completion_tokens: number; total_tokens: number; completion_tokens_details?: { reasoning_tokens?: number } };
      assert.deepEqual([usage.prompt_tokens, usage.completion_tokens, usage.completion_tokens_details?.reasoning_tokens ?? 0], [expected.prompt_tokens, expected.completion_tokens, expected.reasoning_tokens]);
      assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
      assert.ok(usage.completion_tokens >= (usage.completion_tokens_details?.reasoning_tokens ?? 0));

      const now = await totals(server);
      assert.deepEqual(
        [now.prompt_tokens - before.prompt_tokens, now.completion_tokens - before.completion_tokens, now.reasoning_tokens - before.reasoning_tokens],
        [expected.prompt_tokens, expected.completion_tokens, expected.reasoning_tokens],
      );
      assert.ok(expected.cost_usd > 0);
      // Sums of floating-point dollars: equal to a millionth of a cent.
      assert.ok(Math.abs(now.cost_usd - before.cost_usd - expected.cost_usd) < 1e-8, `cost_usd ${now.cost_usd} − ${before.cost_usd} vs ${expected.cost_usd}`);
    });
  }

  test('a provider that reports no cost adds nothing to cost_usd', async () => {
    await upstream.admin.setOptions({ replayFile: upstreamStream('openai-text') });
    const before = await totals(server);
    assert.equal((await requestJson(`${server.url}/v1/chat/completions`, { body: { model: 'mock-model', messages: [{ role: 'user', content: 'hi' }] } })).status, 200);
    const now = await totals(server);
    assert.equal(now.runs, before.runs + 1);
    assert.equal(now.cost_usd, before.cost_usd);
  });
});
