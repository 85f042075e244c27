/**
 * PARLEY_MODEL_ALIASES end to end: a model name a client sends (seed 000's
 * `openassistant-medium`) reaches a real upstream process as its target id on
 * every surface, while the client and the stored messages keep the name it
 * sent and the run records the target.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { courseOf, messagesOf } from './helpers/history.js';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { runCli } from './helpers/server-process.js';
import { collectSse } from './helpers/sse.js';

/** The upstream serves only its default models (`mock-model`, `mock/reasoner`) and 404s any other id. */
const ALIASES = {
  'openassistant-medium': 'custom:mock/reasoner',
  'openassistant-mini': 'mock:mock-reasoner',
  'openai/gpt-4-turbo': ['mock-model', 'mock:mock-model'],
};

describe('model aliases through a real upstream', () => {
  let upstream: MockUpstreamProcess;
  let server: RunningParley;

  before(async () => {
    upstream = await spawnMockUpstream(['--ttft-ms', '0', '--token-rate', '0', '--chunks', '6']);
    server = await startParley({ PARLEY_PROVIDER_BASE_URL: upstream.url, PARLEY_UPSTREAM_RETRIES: '0', PARLEY_MODEL_ALIASES: JSON.stringify(ALIASES) });
  });
  beforeEach(() => upstream.admin.reset());
  after(async () => {
    await server.stop();
    await upstream.stop();
  });

  /** Model ids of the chat requests the upstream received, in order. */
  async function upstreamModels(): Promise<unknown[]> {
    return (await upstream.admin.requests())
      .filter((request) => request.path === '/v1/chat/completions')
      .map((request) => (request.body as { model?: unknown }).model);
  }

  test('/v1: the upstream gets the target id, the answer keeps the alias, the run records the target', async () => {
    const response = await requestJson(`${server.url}/v1/chat/completions`, {
      body: { model: 'openassistant-medium', messages: [{ role: 'user', content: 'What is quantum computing?' }] },
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.model, 'openassistant-medium');
    assert.deepEqual(await upstreamModels(), ['mock/reasoner']);
    const runId = String(response.body.id).replace(/^chatcmpl-/, '');
    const run = (await requestJson(`${server.url}/runs/${runId}`)).body;
    assert.deepEqual([run.provider, run.model, run.status], ['custom', 'mock/reasoner', 'complete']);
  });

  test('/v1 streaming: every chunk names the alias', async () => {
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'openassistant-medium', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const events = await collectSse(response);
    const models = new Set(events.filter((event) => event.data !== '[DONE]').map((event) => (JSON.parse(event.data) as { model: string }).model));
    assert.deepEqual([...models], ['openassistant-medium']);
    assert.deepEqual(await upstreamModels(), ['mock/reasoner']);
  });

  test("conversations: a default_model alias and a per-message alias reach the upstream as their targets; a one-target alias keeps the client's name, a fallback list names the target that served", async () => {
    const conversation = (await requestJson(`${server.url}/conversations`, { body: { default_model: 'openassistant-medium' } })).body;
    assert.equal(conversation.default_model, 'openassistant-medium');
    await requestJson(`${server.url}/conversations/${conversation.id}/messages`, { body: { message: 'first' } });
    const first = await collectSse(await fetch(`${server.url}/conversations/${conversation.id}/stream`));
    assert.equal(JSON.parse(first.at(-1)!.data).done, true);
    await requestJson(`${server.url}/conversations/${conversation.id}/messages`, { body: { message: 'second', model: 'openai/gpt-4-turbo' } });
    await collectSse(await fetch(`${server.url}/conversations/${conversation.id}/stream`));
    // The array alias is a fallback list; its first target, a plain id for the default provider, serves.
    assert.deepEqual(await upstreamModels(), ['mock/reasoner', 'mock-model']);

    const messages = await messagesOf(server.url, conversation.id);
    assert.deepEqual(
      courseOf(messages),
      [
        ['user', null, 'complete'],
        ['assistant', 'openassistant-medium', 'complete'],
        ['user', 'openai/gpt-4-turbo', 'complete'],
        ['assistant', 'mock-model', 'complete'],
      ],
    );
    const runs = await Promise.all(messages.filter((message) => message.role === 'assistant').map((message) => requestJson(`${server.url}/runs/${message.run_id}`)));
    assert.deepEqual(
      runs.map((run) => [run.body.provider, run.body.model]),
      [
        ['custom', 'mock/reasoner'],
        ['custom', 'mock-model'],
      ],
    );
  });

  test('seed surfaces: /chat/start and /api/chat/send resolve the alias too', async () => {
    const started = await requestJson(`${server.url}/chat/start`, { body: { user_id: 'alias-user', message: 'Hello', model: 'openassistant-medium' } });
    assert.equal(started.status, 200);
    let status = '';
    for (let attempt = 0; attempt < 200 && !['complete', 'error'].includes(status); attempt += 1) {
      status = (await requestJson(`${server.url}/chat/status/${started.body.task_id}`)).body.status;
      if (status !== 'complete') await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(status, 'complete');
    const sent = await requestJson(`${server.url}/api/chat/send`, { body: { content: 'Hi', session_id: 'alias-session', model: 'openassistant-medium' } });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.model, 'openassistant-medium');
    assert.deepEqual(await upstreamModels(), ['mock/reasoner', 'mock/reasoner']);
  });

  test('an alias to the mock never calls the upstream and streams the mock reasoner', async () => {
    const response = await requestJson(`${server.url}/v1/chat/completions`, {
      body: { model: 'openassistant-mini', messages: [{ role: 'user', content: 'hi' }] },
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.model, 'openassistant-mini');
    assert.equal(response.body.choices[0].message.reasoning_content, 'First I read the question carefully. Then I plan a short answer');
    assert.deepEqual(await upstreamModels(), []);
  });

  test('GET /v1/models and GET /models list the aliases with their targets', async () => {
    const models = (await requestJson(`${server.url}/v1/models`)).body.data as { id: string; owned_by: string; alias_for?: string }[];
    const aliases = models.filter((model) => model.alias_for !== undefined).map((model) => [model.id, model.owned_by, model.alias_for]);
    assert.deepEqual(aliases, [
      ['openassistant-medium', 'custom', 'custom:mock/reasoner'],
      ['openassistant-mini', 'mock', 'mock:mock-reasoner'],
      ['openai/gpt-4-turbo', 'custom', 'mock-model'],
    ]);
    // The upstream's own models are still there.
    assert.ok(models.some((model) => model.id === 'mock/reasoner' && model.alias_for === undefined));
    const listed = (await requestJson(`${server.url}/models`)).body.models as { id: string }[];
    for (const alias of Object.keys(ALIASES)) assert.ok(listed.some((model) => model.id === alias), alias);
  });
});

describe('a misconfigured alias', () => {
  test('stops startup with a message naming the alias and its unconfigured provider', async () => {
    const result = await runCli(['serve'], {
      PORT: '0',
      PARLEY_DATA_DIR: '/tmp/parley-alias-never-created',
      PARLEY_MODEL_ALIASES: '{"openassistant-medium": "openrouter:openai/gpt-4o-mini"}',
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /configuration error: PARLEY_MODEL_ALIASES: alias "openassistant-medium" targets provider "openrouter", which is not configured/);
  });
});
