import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { startParley, type RunningParley } from './helpers/parley.js';

describe('OpenAI-compatible /v1 through the official openai SDK', () => {
  let server: RunningParley;
  let client: OpenAI;

  before(async () => {
    server = await startParley();
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(() => server.stop());

  test('streams a completion with role, content deltas, finish_reason and usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'mock-model',
      messages: [{ role: 'user', content: 'Tell me about streaming' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let role: string | undefined;
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      const choice = chunk.choices[0];
      role ??= choice?.delta.role;
      text += choice?.delta.content ?? '';
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(role, 'assistant');
    assert.match(text, /^Mock reply to "Tell me about streaming":( \w+){23}\.$/);
    assert.equal(finish, 'stop');
    assert.equal(usage?.completion_tokens, 24);
    assert.equal(usage?.total_tokens, (usage?.prompt_tokens ?? 0) + 24);
    assert.ok(chunks >= 26, `expected a chunk per delta, got ${chunks}`);
  });

  test('non-streaming completion returns the whole answer and usage', async () => {
    const completion = await client.chat.completions.create({
      model: 'mock-model',
      messages: [{ role: 'user', content: 'Tell me about streaming' }],
    });
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.choices[0]?.message.role, 'assistant');
    assert.match(completion.choices[0]?.message.content ?? '', /^Mock reply to "Tell me about streaming":/);
    assert.equal(completion.choices[0]?.finish_reason, 'stop');
    assert.equal(completion.usage?.completion_tokens, 24);
  });

  test('same prompt gives the same text streamed or not', async () => {
    const messages = [{ role: 'user' as const, content: 'determinism' }];
    const whole = await client.chat.completions.create({ model: 'mock-model', messages });
    let streamed = '';
    for await (const chunk of await client.chat.completions.create({ model: 'mock-model', messages, stream: true })) {
      streamed += chunk.choices[0]?.delta.content ?? '';
    }
    assert.equal(streamed, whole.choices[0]?.message.content);
  });

  test('reasoning arrives as reasoning_content deltas before the answer', async () => {
    const stream = await client.chat.completions.create({
      model: 'mock-reasoner',
      messages: [{ role: 'user', content: 'think first' }],
      stream: true,
    });
    const order: string[] = [];
    let reasoning = '';
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
      if (delta?.reasoning_content) {
        reasoning += delta.reasoning_content;
        order.push('reasoning');
      }
      if (delta?.content) order.push('content');
    }
    assert.equal(reasoning, 'First I read the question carefully. Then I plan a short answer');
    assert.equal(order.indexOf('content'), order.lastIndexOf('reasoning') + 1);
  });

  test('lists models', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    assert.deepEqual(models.sort(), ['mock-model', 'mock-reasoner']);
  });

  test('the built-in mock answers any model id and echoes it as the completion model', async () => {
    const completion = await client.chat.completions.create({ model: 'openassistant-medium', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(completion.model, 'openassistant-medium');
    assert.match(completion.choices[0]?.message.content ?? '', /^Mock reply to "x":/);
    const stream = await client.chat.completions.create({ model: 'anthropic/claude-3-opus', messages: [{ role: 'user', content: 'x' }], stream: true });
    const models = new Set<string>();
    for await (const chunk of stream) models.add(chunk.model);
    assert.deepEqual([...models], ['anthropic/claude-3-opus']);
  });

  test('invalid request is a 400 naming the field', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'mock-model', messages: [{ role: 'user', content: 'x' }], temperature: 7 }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.BadRequestError);
        assert.equal(error.code, 'validation_failed');
        assert.match(error.message, /temperature/);
        return true;
      },
    );
  });
});

describe('the openai SDK against Parley over a provider', () => {
  let upstream: MockUpstreamProcess;
  let server: RunningParley;
  let client: OpenAI;

  before(async () => {
    upstream = await spawnMockUpstream(['--ttft-ms', '0', '--token-rate', '0']);
    server = await startParley({ PARLEY_PROVIDER_BASE_URL: upstream.url, PARLEY_UPSTREAM_RETRIES: '0' });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(async () => {
    await server.stop();
    await upstream.stop();
  });

  test('a model the provider does not have is a 404 model_not_found APIError', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }], stream: true }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.equal(error.status, 404);
        assert.equal(error.code, 'model_not_found');
        assert.match(error.message, /no-such-model/);
        return true;
      },
    );
  });
});
