/**
 * Fallback aliases end to end: PARLEY_MODEL_ALIASES with a list of targets on
 * three real mock upstream processes (two OpenAI-compatible, one Anthropic)
 * and a closed port. Each branch: first target down / 5xx / silent / 429 / 529 → the
 * next serves (and is named in `/v1` answers, the stored message, the run row
 * and the metrics); a failure after the first byte is never switched; every
 * target down → the last error, naming the targets; a target that failed is
 * skipped during its cool-down (counted on the mock's requests).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import { closedPort } from './helpers/closed-port.js';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { collectSse } from './helpers/sse.js';

const ALIASES = {
  chain: ['custom:model-a', 'openai:model-b'],
  'from-anthropic': ['anthropic:claude-first', 'openai:model-b'],
  'from-closed-port': ['openrouter:any-model', 'openai:model-b'],
  'text-first': ['mock:mock-model', 'openai:model-b'],
};

/** How many chat requests an upstream received since its last reset. */
async function chatRequests(upstream: MockUpstreamProcess): Promise<number> {
  return (await upstream.admin.requests()).filter((request) => /\/(chat\/completions|messages)$/.test(request.path)).length;
}

let first: MockUpstreamProcess;
let second: MockUpstreamProcess;
let anthropic: MockUpstreamProcess;
let deadPort: number;

function environment(cooldownSeconds: number): Record<string, string> {
  return {
    PARLEY_PROVIDER_BASE_URL: first.url,
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: second.url,
    ANTHROPIC_API_KEY: 'sk-ant-test',
    ANTHROPIC_BASE_URL: anthropic.url,
    OPENROUTER_API_KEY: 'sk-or-test',
    OPENROUTER_BASE_URL: `http://127.0.0.1:${deadPort}/v1`,
    PARLEY_UPSTREAM_RETRIES: '1',
    PARLEY_FIRST_BYTE_TIMEOUT_MS: '1000',
    PARLEY_FALLBACK_COOLDOWN_SECONDS: String(cooldownSeconds),
    PARLEY_MODEL_ALIASES: JSON.stringify(ALIASES),
  };
}

before(async () => {
  const fast = ['--ttft-ms', '0', '--token-rate', '0', '--chunks', '6'];
  // One after the other: on a loaded machine three cold starts at once can pass the helper's start timeout.
  first = await spawnMockUpstream([...fast, '--models', 'model-a']);
  second = await spawnMockUpstream([...fast, '--models', 'model-b']);
  anthropic = await spawnMockUpstream([...fast, '--mode', 'anthropic', '--any-model']);
  deadPort = await closedPort();
});
after(async () => {
  await Promise.all([first.stop(), second.stop(), anthropic.stop()]);
});
beforeEach(async () => {
  await Promise.all([first.admin.reset(), second.admin.reset(), anthropic.admin.reset()]);
});

describe('fallback aliases without a cool-down', () => {
  let server: RunningParley;
  let client: OpenAI;

  before(async () => {
    server = await startParley(environment(0));
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(() => server.stop());

  test('the first target answering 503 is retried, then the second serves; /v1 and the run name it', async () => {
    await first.admin.setOptions({ failStatus: 503 });
    const completion = await client.chat.completions.create({ model: 'chain', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(completion.model, 'model-b');
    assert.ok((completion.choices[0]?.message.content ?? '').length > 0);
    // PARLEY_UPSTREAM_RETRIES=1: the first target is asked twice, then the second once.
    assert.deepEqual([await chatRequests(first), await chatRequests(second)], [2, 1]);
    const run = (await requestJson(`${server.url}/runs/${completion.id.replace(/^chatcmpl-/, '')}`)).body;
    assert.deepEqual([run.provider, run.model, run.status], ['openai', 'model-b', 'complete']);
  });

  test('a refused connection moves to the next target, and every streamed chunk names the one that served', async () => {
    const stream = await client.chat.completions.create({ model: 'from-closed-port', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const models = new Set<string>();
    let text = '';
    for await (const chunk of stream) {
      models.add(chunk.model);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    assert.deepEqual([...models], ['model-b']);
    assert.ok(text.length > 0);
    assert.equal(await chatRequests(second), 1);
  });

  test('a first target that sends nothing before the first-byte timeout moves to the next; the Responses API names the one that served', async () => {
    await first.admin.setOptions({ ttftMs: 30_000 });
    const response = await client.responses.create({ model: 'chain', input: 'hi' });
    assert.equal(response.status, 'completed');
    assert.equal(response.model, 'model-b');
    assert.ok(response.output_text.length > 0);
    assert.equal(await chatRequests(second), 1);
    const again = await client.responses.retrieve(response.id);
    assert.equal(again.model, 'model-b');
  });

  test('a target that cannot take the attachments is left out of the chain; text still goes to the first', async () => {
    const image = { type: 'image_url' as const, image_url: { url: 'https://images.example/cat.png' } };
    const withImage = await client.chat.completions.create({ model: 'text-first', messages: [{ role: 'user', content: [{ type: 'text', text: 'see' }, image] }] });
    assert.equal(withImage.model, 'model-b');
    const textOnly = await client.chat.completions.create({ model: 'text-first', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(textOnly.model, 'mock-model');
    assert.equal(await chatRequests(second), 1);
  });

  test('with structured thinking (which closes even a failed call with metadata) a failed first target is still retried and switched', async () => {
    await first.admin.setOptions({ failStatus: 503 });
    const started = await requestJson(`${server.url}/chat/start`, { body: { user_id: 'structured-user', message: 'Hello', model: 'chain', thinking: 'structured' } });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    let status = '';
    for (let attempt = 0; attempt < 400 && !['complete', 'error'].includes(status); attempt += 1) {
      status = (await requestJson(`${server.url}/chat/status/${started.body.task_id}`)).body.status;
      if (status !== 'complete' && status !== 'error') await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal(status, 'complete');
    assert.deepEqual([await chatRequests(first), await chatRequests(second)], [2, 1]);
  });

  test('a 429 from the first target switches at once (no retry on the same target)', async () => {
    await first.admin.setOptions({ failStatus: 429, retryAfterSeconds: 7 });
    const completion = await client.chat.completions.create({ model: 'chain', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(completion.model, 'model-b');
    assert.deepEqual([await chatRequests(first), await chatRequests(second)], [1, 1]);
  });

  test('an Anthropic 529 overloaded answer moves to the next target', async () => {
    await anthropic.admin.setOptions({ failStatus: 529 });
    const completion = await client.chat.completions.create({ model: 'from-anthropic', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(completion.model, 'model-b');
    assert.equal(await chatRequests(anthropic), 2);
    assert.equal(await chatRequests(second), 1);
  });

  test('a first target that breaks mid-stream fails the run; the next target is never asked', async () => {
    await first.admin.setOptions({ dropAfter: 3 });
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chain', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(response.status, 200);
    const events = await collectSse(response);
    const last = JSON.parse(events.at(-1)!.data) as { error?: { code: string } };
    assert.equal(last.error?.code, 'upstream_unavailable');
    const models = new Set(events.slice(0, -1).map((event) => (JSON.parse(event.data) as { model: string }).model));
    assert.deepEqual([...models], ['model-a']);
    assert.deepEqual([await chatRequests(first), await chatRequests(second)], [1, 0]);
  });

  test('every target down: the last error, naming the targets tried in order', async () => {
    await first.admin.setOptions({ failStatus: 503 });
    await second.admin.setOptions({ failStatus: 429, retryAfterSeconds: 9 });
    const response = await requestJson(`${server.url}/v1/chat/completions`, { body: { model: 'chain', messages: [{ role: 'user', content: 'hi' }] } });
    assert.equal(response.status, 429, JSON.stringify(response.body));
    assert.equal(response.body.error.code, 'upstream_rate_limited');
    assert.match(response.body.error.message, /^Every target failed \(custom:model-a, openai:model-b\); the last, openai:model-b: /);
    assert.equal(response.headers.get('retry-after'), '9');
  });

  test('a conversation answer served by the fallback stores its provider and model; metrics carry them', async () => {
    await first.admin.setOptions({ failStatus: 502 });
    const conversation = (await requestJson(`${server.url}/conversations`, { body: { default_model: 'chain' } })).body;
    await requestJson(`${server.url}/conversations/${conversation.id}/messages`, { body: { message: 'hello' } });
    const events = await collectSse(await fetch(`${server.url}/conversations/${conversation.id}/stream`));
    assert.equal(JSON.parse(events.at(-1)!.data).done, true);
    const answer = (await requestJson(`${server.url}/conversations/${conversation.id}/messages`)).body.messages.at(-1);
    assert.deepEqual([answer.role, answer.status, answer.provider, answer.model], ['assistant', 'complete', 'openai', 'model-b']);
    const run = (await requestJson(`${server.url}/runs/${answer.run_id}`)).body;
    assert.deepEqual([run.provider, run.model], ['openai', 'model-b']);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /parley_run_duration_seconds_count\{provider="openai",model="model-b",outcome="completed"\} [1-9]/);
  });
});

describe('the cool-down of a failed target', () => {
  let server: RunningParley;

  before(async () => {
    server = await startParley(environment(600));
  });
  after(() => server.stop());

  test('a target that failed is skipped by the next requests, which go straight to the fallback', async () => {
    await first.admin.setOptions({ failStatus: 503 });
    for (let request = 0; request < 3; request += 1) {
      const response = await requestJson(`${server.url}/v1/chat/completions`, { body: { model: 'chain', messages: [{ role: 'user', content: 'hi' }] } });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.model, 'model-b');
    }
    // Asked twice (one retry) by the first request only; the next two skipped it.
    assert.deepEqual([await chatRequests(first), await chatRequests(second)], [2, 3]);
  });
});
