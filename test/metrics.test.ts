import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { parseExposition, sampleValue, type Family } from './helpers/prometheus.js';
import { collectSse, readSse } from './helpers/sse.js';

type Families = Map<string, Family>;

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Families> {
  const response = await fetch(`${url}/metrics`, { headers });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

describe('GET /metrics', () => {
  let server: RunningParley;
  before(async () => {
    // `down` is a provider nothing listens for (port 9, discard): its runs fail at once.
    server = await startParley({
      PARLEY_MOCK_CHUNK_DELAY_MS: '10',
      PARLEY_PROVIDER_NAME: 'down',
      PARLEY_PROVIDER_BASE_URL: 'http://127.0.0.1:9/v1',
      PARLEY_DEFAULT_PROVIDER: 'mock',
      PARLEY_UPSTREAM_RETRIES: '0',
    });
  });
  after(() => server.stop());

  test('is valid Prometheus text with HELP and TYPE for every family, including process metrics', async () => {
    const families = await scrape(server.url);
    for (const name of [
      'parley_http_requests_total',
      'parley_http_request_duration_seconds',
      'parley_time_to_first_token_seconds',
      'parley_tokens_total',
      'parley_upstream_errors_total',
      'parley_runs_total',
      'parley_active_runs',
      'parley_open_streams',
      'parley_cache_hits_total',
      'parley_cache_misses_total',
      'parley_rate_limit_rejections_total',
      'process_cpu_user_seconds_total',
    ]) {
      const family = families.get(name);
      assert.ok(family, `${name} is exported`);
      assert.notEqual(family.help, '', `${name} has help`);
    }
    assert.equal(families.get('parley_http_request_duration_seconds')?.type, 'histogram');
    assert.equal(families.get('parley_tokens_total')?.type, 'counter');
    assert.equal(families.get('parley_active_runs')?.type, 'gauge');
  });

  test('the README documents exactly the parley_* metrics that are exported', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('| metric | labels | what |'), readme.indexOf('Model label values are capped'));
    const documented = new Set([...table.matchAll(/`(parley_[a-z_]+)`/g)].map((match) => match[1]!));
    const exported = new Set([...(await scrape(server.url)).keys()].filter((name) => name.startsWith('parley_')));
    assert.deepEqual([...documented].sort(), [...exported].sort());
  });

  test('counters move with a /v1 completion and a conversation stream by exactly their usage', async () => {
    const before = await scrape(server.url);
    const completion = await requestJson(`${server.url}/v1/chat/completions`, {
      body: { model: 'mock-model', messages: [{ role: 'user', content: 'count these four words' }] },
    });
    assert.equal(completion.status, 200);
    const conversation = (await requestJson(`${server.url}/conversations`, { body: { default_model: 'mock-reasoner' } })).body;
    assert.equal((await requestJson(`${server.url}/conversations/${conversation.id}/messages`, { body: { message: 'hello metrics' } })).status, 200);

    // Mid-stream, the run is active and the stream open.
    const stream = await fetch(`${server.url}/conversations/${conversation.id}/stream`);
    const events = readSse(stream);
    await events.next();
    const during = await scrape(server.url);
    assert.equal(sampleValue(during, 'parley_active_runs'), 1);
    assert.equal(sampleValue(during, 'parley_open_streams'), 1);
    for await (const _event of events) {
      // drain the stream to its end
    }
    const listed = (await requestJson(`${server.url}/conversations/${conversation.id}/messages`)).body as {
      messages: { usage: { prompt_tokens: number; completion_tokens: number } }[];
    };
    const answerUsage = listed.messages.at(-1)!.usage;

    // The stream's request is counted when its response closes, just after the client read the end.
    const streamLabels = { method: 'GET', route: '/conversations/:id/stream', status: '200' };
    let afterwards = await scrape(server.url);
    for (let attempt = 0; attempt < 20 && sampleValue(afterwards, 'parley_http_requests_total', streamLabels) === sampleValue(before, 'parley_http_requests_total', streamLabels); attempt += 1) {
      await sleep(50);
      afterwards = await scrape(server.url);
    }
    const delta = (name: string, labels: Record<string, string> = {}) => sampleValue(afterwards, name, labels) - sampleValue(before, name, labels);

    assert.equal(delta('parley_http_requests_total', { method: 'POST', route: '/v1/chat/completions', status: '200' }), 1);
    assert.equal(delta('parley_http_requests_total', { method: 'POST', route: '/conversations', status: '200' }), 1);
    assert.equal(delta('parley_http_requests_total', { method: 'POST', route: '/conversations/:id/messages', status: '200' }), 1);
    assert.equal(delta('parley_http_requests_total', streamLabels), 1);
    assert.equal(delta('parley_http_request_duration_seconds_count', streamLabels), 1);
    // One scrape before and one mid-stream were counted by the time of the last scrape.
    assert.ok(delta('parley_http_requests_total', { method: 'GET', route: '/metrics', status: '200' }) >= 2);

    const usage = completion.body.usage;
    assert.equal(delta('parley_tokens_total', { model: 'mock-model', direction: 'prompt' }), usage.prompt_tokens);
    assert.equal(delta('parley_tokens_total', { model: 'mock-model', direction: 'completion' }), usage.completion_tokens);
    assert.equal(delta('parley_tokens_total', { model: 'mock-model', direction: 'reasoning' }), 0);
    assert.equal(delta('parley_tokens_total', { model: 'mock-reasoner', direction: 'prompt' }), answerUsage.prompt_tokens);
    assert.equal(delta('parley_tokens_total', { model: 'mock-reasoner', direction: 'completion' }), answerUsage.completion_tokens);
    assert.equal(delta('parley_tokens_total', { model: 'mock-reasoner', direction: 'reasoning' }), 12);

    assert.equal(delta('parley_time_to_first_token_seconds_count', { provider: 'mock', model: 'mock-model' }), 1);
    assert.equal(delta('parley_time_to_first_token_seconds_count', { provider: 'mock', model: 'mock-reasoner' }), 1);
    assert.equal(delta('parley_runs_total', { surface: 'openai', outcome: 'completed' }), 1);
    assert.equal(delta('parley_runs_total', { surface: 'conversations', outcome: 'completed' }), 1);
    assert.equal(delta('parley_run_duration_seconds_count', { provider: 'mock', model: 'mock-model', outcome: 'completed' }), 1);
    assert.equal(delta('parley_run_duration_seconds_count', { provider: 'mock', model: 'mock-reasoner', outcome: 'completed' }), 1);
    // 24 chunks 10 ms apart: the answer took at least 0.2 s.
    assert.ok(delta('parley_run_duration_seconds_sum', { provider: 'mock', model: 'mock-reasoner', outcome: 'completed' }) >= 0.2);
    assert.equal(sampleValue(afterwards, 'parley_active_runs'), 0);
    assert.equal(sampleValue(afterwards, 'parley_open_streams'), 0);
  });

  test('a failed run counts as an upstream error by code and a failed run, with no first token', async () => {
    const before = await scrape(server.url);
    const response = await requestJson(`${server.url}/v1/chat/completions`, {
      body: { model: 'down:some-model', messages: [{ role: 'user', content: 'hi' }] },
    });
    assert.equal(response.status, 502);
    assert.equal(response.body.error.code, 'upstream_unavailable');
    const afterwards = await scrape(server.url);
    const delta = (name: string, labels: Record<string, string> = {}) => sampleValue(afterwards, name, labels) - sampleValue(before, name, labels);
    assert.equal(delta('parley_upstream_errors_total', { code: 'upstream_unavailable' }), 1);
    assert.equal(delta('parley_runs_total', { surface: 'openai', outcome: 'failed' }), 1);
    assert.equal(delta('parley_run_duration_seconds_count', { provider: 'down', model: 'some-model', outcome: 'failed' }), 1);
    assert.equal(delta('parley_time_to_first_token_seconds_count', { model: 'some-model' }), 0);
    assert.equal(delta('parley_http_requests_total', { method: 'POST', route: '/v1/chat/completions', status: '502' }), 1);
  });

  test('a cancelled run counts as cancelled', async () => {
    const before = await scrape(server.url);
    const conversation = (await requestJson(`${server.url}/conversations`, { body: {} })).body;
    await requestJson(`${server.url}/conversations/${conversation.id}/messages`, { body: { message: 'stop me' } });
    const stream = await fetch(`${server.url}/conversations/${conversation.id}/stream`);
    const events = readSse(stream);
    await events.next();
    const listed = (await requestJson(`${server.url}/conversations/${conversation.id}/messages`)).body;
    const runId = listed.messages.at(-1).run_id as string;
    assert.equal((await requestJson(`${server.url}/runs/${runId}/cancel`, { method: 'POST' })).status, 200);
    for await (const _event of events) {
      // drain the stream to its end
    }
    const afterwards = await scrape(server.url);
    const delta = (name: string, labels: Record<string, string> = {}) => sampleValue(afterwards, name, labels) - sampleValue(before, name, labels);
    assert.equal(delta('parley_runs_total', { surface: 'conversations', outcome: 'cancelled' }), 1);
    assert.equal(delta('parley_run_duration_seconds_count', { provider: 'mock', model: 'mock-model', outcome: 'cancelled' }), 1);
  });

  test('unknown paths are counted under one route label, not their URL', async () => {
    await fetch(`${server.url}/no/such/path/${Math.random()}`);
    const families = await scrape(server.url);
    assert.ok(sampleValue(families, 'parley_http_requests_total', { route: 'unmatched', status: '404' }) >= 1);
    const routes = new Set(families.get('parley_http_requests_total')!.samples.map((sample) => sample.labels.route));
    assert.ok(![...routes].some((route) => route?.startsWith('/no/')));
  });
});

describe('GET /metrics with PARLEY_METRICS_KEY', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley({ PARLEY_METRICS_KEY: 'scrape-secret', API_KEYS: 'client-key' });
  });
  after(() => server.stop());

  test('needs Authorization: Bearer <metrics key>: 401 without, 403 wrong, client keys do not count', async () => {
    assert.equal((await requestJson(`${server.url}/metrics`)).status, 401);
    assert.equal((await requestJson(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 403);
    const withClientKey = await requestJson(`${server.url}/metrics`, { headers: { authorization: 'Bearer client-key' } });
    assert.equal(withClientKey.status, 403);
    assert.equal(withClientKey.body.error.code, 'invalid_api_key');
    const families = await scrape(server.url, { authorization: 'Bearer scrape-secret' });
    assert.ok(families.has('parley_runs_total'));
  });
});

describe('GET /metrics without PARLEY_METRICS_KEY', () => {
  test('is public even when client keys are required', async () => {
    const server = await startParley({ API_KEYS: 'client-key' });
    try {
      assert.ok((await scrape(server.url)).has('parley_http_requests_total'));
      assert.equal((await requestJson(`${server.url}/v1/models`)).status, 401);
    } finally {
      await server.stop();
    }
  });
});

describe('GET /health/ready', () => {
  test('is 200 with every check ok, cached on the second call, and 503 naming `accepting` while draining', async () => {
    const server = await startParley({ API_KEYS: 'client-key', PARLEY_MOCK_CHUNK_DELAY_MS: '20' });
    let closing: Promise<void> | undefined;
    try {
      const first = await requestJson(`${server.url}/health/ready`);
      assert.equal(first.status, 200);
      assert.equal(first.body.status, 'ready');
      assert.deepEqual(first.body.failed, []);
      assert.equal(first.body.checks.database.status, 'ok');
      assert.equal(first.body.checks.providers.status, 'ok');
      assert.equal(first.body.cached, false);
      const second = await requestJson(`${server.url}/health/ready`);
      assert.equal(second.body.cached, true);
      assert.equal(second.body.checked_at, first.body.checked_at);

      // A slow run keeps the drain going while readiness is asked.
      const stream = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'client-key' },
        body: JSON.stringify({ model: 'mock-model', stream: true, messages: [{ role: 'user', content: 'slow' }] }),
      });
      const events = collectSse(stream);
      closing = server.stop({ graceMs: 5_000 });
      const draining = await requestJson(`${server.url}/health/ready`);
      assert.equal(draining.status, 503);
      assert.equal(draining.body.status, 'not_ready');
      assert.deepEqual(draining.body.failed, ['accepting']);
      assert.equal(draining.body.checks.accepting.error, 'shutting_down');
      assert.equal((await events).at(-1)?.data, '[DONE]');
    } finally {
      await (closing ?? server.stop());
    }
  });
});

describe('GET /health/ready with an unreachable provider', () => {
  test('is 503 naming the providers check and its error code, not internals', async () => {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    const server = await startParley({ PARLEY_PROVIDER_BASE_URL: 'http://127.0.0.1:9/v1', PARLEY_UPSTREAM_RETRIES: '0' });
    try {
      const response = await requestJson(`${server.url}/health/ready`);
      assert.equal(response.status, 503);
      assert.deepEqual(response.body.failed, ['providers']);
      assert.equal(response.body.checks.database.status, 'ok');
      assert.equal(response.body.checks.providers.status, 'failed');
      assert.match(response.body.checks.providers.error, /^(upstream_[a-z_]+|timeout|unavailable)$/);
      assert.equal((await requestJson(`${server.url}/health`)).status, 200);
    } finally {
      await server.stop();
    }
  });
});

describe('parley_rate_limit_rejections_total', () => {
  test('counts every chat request a rate limit refuses, by limit, and nothing else', async () => {
    const server = await startParley({ API_KEYS: 'limited-key', PARLEY_RATE_LIMIT_IP_PER_MINUTE: '2', PARLEY_RATE_LIMIT_KEY_PER_MINUTE: '100' });
    try {
      const before = await scrape(server.url);
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const response = await requestJson(`${server.url}/v1/chat/completions`, {
          headers: { 'x-api-key': 'limited-key' },
          body: { model: 'mock-model', messages: [{ role: 'user', content: 'hi' }] },
        });
        statuses.push(response.status);
      }
      assert.deepEqual(statuses, [200, 200, 429, 429, 429]);
      // Reads are not limited and do not count.
      assert.equal((await requestJson(`${server.url}/conversations`, { headers: { 'x-api-key': 'limited-key' } })).status, 200);
      const afterwards = await scrape(server.url);
      const delta = (labels: Record<string, string>) =>
        sampleValue(afterwards, 'parley_rate_limit_rejections_total', labels) - sampleValue(before, 'parley_rate_limit_rejections_total', labels);
      assert.equal(delta({ limit: 'ip_per_minute' }), 3);
      assert.equal(delta({ limit: 'key_per_minute' }), 0);
      assert.equal(sampleValue(afterwards, 'parley_http_requests_total', { method: 'POST', route: '/v1/chat/completions', status: '429' }), 3);
    } finally {
      await server.stop();
    }
  });

  test('counts refusals of the per-key window under key_per_minute', async () => {
    const server = await startParley({ API_KEYS: 'small-key', PARLEY_RATE_LIMIT_IP_PER_MINUTE: '0', PARLEY_RATE_LIMIT_KEY_PER_MINUTE: '1' });
    try {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const response = await requestJson(`${server.url}/v1/chat/completions`, {
          headers: { 'x-api-key': 'small-key' },
          body: { model: 'mock-model', messages: [{ role: 'user', content: 'hi' }] },
        });
        statuses.push(response.status);
      }
      assert.deepEqual(statuses, [200, 429, 429]);
      const families = await scrape(server.url);
      assert.equal(sampleValue(families, 'parley_rate_limit_rejections_total', { limit: 'key_per_minute' }), 2);
      assert.equal(sampleValue(families, 'parley_rate_limit_rejections_total', { limit: 'ip_per_minute' }), 0);
    } finally {
      await server.stop();
    }
  });
});
