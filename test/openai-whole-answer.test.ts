/**
 * Whole answers for callers that wait for them (StreamOptions.wholeAnswer):
 * a `/v1/chat/completions` call with `stream: false` asks the OpenAI-compatible
 * upstream for one non-streamed `chat.completion`, a streaming call still asks
 * for a stream, and both give the same answer, errors, fallbacks and usage.
 * Real Parley, real mock upstream processes, the official `openai` SDK.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import { closedPort } from './helpers/closed-port.js';
import { fixture, upstreamStream } from './helpers/fixtures.js';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { collectSse } from './helpers/sse.js';

/** What a client gets of one answer, whichever way it asked. */
interface Answer {
  content: string | null;
  reasoning_content: string | undefined;
  tool_calls: { id: string; type: string; function: { name: string; arguments: string } }[] | undefined;
  finish_reason: string | null;
  usage: OpenAI.CompletionUsage | undefined;
}

type Message = OpenAI.ChatCompletionMessage & { reasoning_content?: string };
type Delta = OpenAI.ChatCompletionChunk.Choice.Delta & { reasoning_content?: string };

const MESSAGES = [{ role: 'user' as const, content: 'whole or streamed' }];

async function whole(client: OpenAI, model: string): Promise<Answer & { id: string; model: string }> {
  const completion = await client.chat.completions.create({ model, messages: MESSAGES });
  const choice = completion.choices[0]!;
  const message = choice.message as Message;
  return {
    id: completion.id,
    model: completion.model,
    content: message.content,
    reasoning_content: message.reasoning_content,
    tool_calls: message.tool_calls as Answer['tool_calls'],
    finish_reason: choice.finish_reason,
    usage: completion.usage,
  };
}

/** Folds a streamed answer the way the SDK's docs fold one. */
async function streamed(client: OpenAI, model: string): Promise<Answer> {
  const stream = await client.chat.completions.create({ model, messages: MESSAGES, stream: true, stream_options: { include_usage: true } });
  let content = '';
  let reasoning = '';
  const calls: NonNullable<Answer['tool_calls']> = [];
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | undefined;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (choice === undefined) continue;
    const delta = choice.delta as Delta;
    content += delta.content ?? '';
    reasoning += delta.reasoning_content ?? '';
    for (const call of delta.tool_calls ?? []) {
      const folded = (calls[call.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
      if (call.id !== undefined) folded.id = call.id;
      folded.function.name += call.function?.name ?? '';
      folded.function.arguments += call.function?.arguments ?? '';
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  return {
    content: calls.length > 0 && content === '' ? null : content,
    reasoning_content: reasoning === '' ? undefined : reasoning,
    tool_calls: calls.length === 0 ? undefined : calls,
    finish_reason: finish,
    usage,
  };
}

/** The chat requests an upstream received since its last reset, with their bodies. */
async function chatBodies(upstream: MockUpstreamProcess): Promise<{ stream?: boolean; stream_options?: unknown }[]> {
  const requests = await upstream.admin.requests();
  return requests.filter((request) => request.path === '/v1/chat/completions').map((request) => request.body as { stream?: boolean });
}

let first: MockUpstreamProcess;
let second: MockUpstreamProcess;
let server: RunningParley;
let client: OpenAI;
let scratch: string;

before(async () => {
  const fast = ['--ttft-ms', '0', '--token-rate', '0', '--chunks', '6'];
  first = await spawnMockUpstream([...fast, '--any-model']);
  second = await spawnMockUpstream([...fast, '--models', 'model-b']);
  server = await startParley({
    PARLEY_PROVIDER_BASE_URL: first.url,
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: second.url,
    OPENROUTER_API_KEY: 'sk-or-test',
    OPENROUTER_BASE_URL: `http://127.0.0.1:${await closedPort()}/v1`,
    PARLEY_UPSTREAM_RETRIES: '0',
    PARLEY_FALLBACK_COOLDOWN_SECONDS: '0',
    // A whole answer may take both: 400 + 600 ms before its headers.
    PARLEY_FIRST_BYTE_TIMEOUT_MS: '400',
    PARLEY_UPSTREAM_IDLE_TIMEOUT_MS: '600',
    PARLEY_MODEL_ALIASES: JSON.stringify({ chain: ['custom:model-a', 'openai:model-b'], 'from-closed-port': ['openrouter:any-model', 'openai:model-b'] }),
  });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  scratch = mkdtempSync(join(tmpdir(), 'parley-whole-answer-'));
});
after(async () => {
  await server.stop();
  await Promise.all([first.stop(), second.stop()]);
  rmSync(scratch, { recursive: true, force: true });
});
beforeEach(async () => {
  await Promise.all([first.admin.reset(), second.admin.reset()]);
});

describe('a /v1 call with stream: false asks the upstream for a whole answer', () => {
  test('the upstream receives stream: false (no stream_options) for a JSON call, stream: true for a streaming one', async () => {
    await whole(client, 'custom:model-a');
    await streamed(client, 'custom:model-a');
    const [json, stream] = await chatBodies(first);
    assert.equal(json?.stream, false);
    assert.equal(json?.stream_options, undefined);
    assert.equal(stream?.stream, true);
    assert.deepEqual(stream?.stream_options, { include_usage: true });
  });

  test('a conversation turn still streams from the upstream', async () => {
    const conversation = (await requestJson(`${server.url}/conversations`, { body: { default_model: 'custom:model-a' } })).body;
    await requestJson(`${server.url}/conversations/${conversation.id}/messages`, { body: { message: 'hello' } });
    const events = await collectSse(await fetch(`${server.url}/conversations/${conversation.id}/stream`));
    assert.equal(JSON.parse(events.at(-1)!.data).done, true);
    assert.deepEqual((await chatBodies(first)).map((body) => body.stream), [true]);
  });
});

describe('the whole answer equals the streamed one', () => {
  const thinkTags = (): string => {
    const path = join(scratch, 'think-tags.chunks.txt');
    const chunk = (delta: object, finish: string | null = null, usage?: object) =>
      JSON.stringify({ id: 'chatcmpl-think', object: 'chat.completion.chunk', created: 1, model: 'qwen', choices: [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) });
    writeFileSync(
      path,
      [
        chunk({ role: 'assistant', content: '<think>Plan the' }),
        chunk({ content: ' answer.</thi' }),
        chunk({ content: 'nk>The answer.' }),
        chunk({}, 'stop', { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 }),
      ].join('\n'),
    );
    return path;
  };
  const cases: [name: string, setup: () => Record<string, unknown>][] = [
    ['scripted reasoning (reasoning_content)', () => ({ reasoningChunks: 4 })],
    ['scripted reasoning (reasoning)', () => ({ reasoningChunks: 3, reasoningField: 'reasoning' })],
    ['recorded DeepSeek tool call', () => ({ replayFile: upstreamStream('deepseek-tool-call') })],
    ['recorded tool calls with reasoning', () => ({ replayFile: fixture('tool-calls.chunks.txt') })],
    ['recorded Groq reasoning', () => ({ replayFile: upstreamStream('groq-reasoning') })],
    ['recorded OpenRouter usage with cost', () => ({ replayFile: upstreamStream('openrouter-usage') })],
    ['recorded xAI usage (reasoning beside completion)', () => ({ replayFile: upstreamStream('xai-text') })],
    ['<think> tags in content', () => ({ replayFile: thinkTags() })],
  ];
  for (const [name, setup] of cases) {
    test(name, async () => {
      await first.admin.setOptions(setup());
      const { id, model, ...json } = await whole(client, 'custom:model-a');
      const stream = await streamed(client, 'custom:model-a');
      assert.deepEqual(json, stream);
      assert.ok(json.usage !== undefined && json.usage.total_tokens > 0, 'the upstream usage is reported');
      assert.ok(json.content !== '' || json.tool_calls !== undefined, 'an answer came');
      assert.deepEqual((await chatBodies(first)).map((body) => body.stream), [false, true]);
      assert.ok(id.startsWith('chatcmpl-') && model.length > 0);
    });
  }

  test('<think> tags become reasoning, not content', async () => {
    await first.admin.setOptions({ replayFile: thinkTags() });
    const answer = await whole(client, 'custom:model-a');
    assert.deepEqual([answer.reasoning_content, answer.content], ['Plan the answer.', 'The answer.']);
  });
});

describe('whole answers fail, fall back and count like streams', () => {
  test('upstream 500 on the first target of an alias list: the second serves', async () => {
    await first.admin.setOptions({ failStatus: 500 });
    const answer = await whole(client, 'chain');
    assert.equal(answer.model, 'model-b');
    assert.ok((answer.content ?? '').length > 0);
    assert.deepEqual((await chatBodies(first)).map((body) => body.stream), [false]);
    assert.deepEqual((await chatBodies(second)).map((body) => body.stream), [false]);
  });

  test('a refused connection on the first target: the second serves', async () => {
    const answer = await whole(client, 'from-closed-port');
    assert.equal(answer.model, 'model-b');
    assert.equal((await chatBodies(second)).length, 1);
  });

  test('upstream 400 gives the same status and error body as the stream path', async () => {
    const errorOf = async (stream: boolean) => {
      await first.admin.setOptions({ failStatus: 400, faultTimes: 1 });
      const response = await requestJson(`${server.url}/v1/chat/completions`, { body: { model: 'custom:model-a', messages: MESSAGES, stream } });
      return { status: response.status, error: response.body.error };
    };
    const json = await errorOf(false);
    const stream = await errorOf(true);
    assert.equal(json.status, 400, JSON.stringify(json));
    assert.deepEqual(json, stream);
    assert.match(json.error.message, /rejected the request \(HTTP 400\): Invalid request/);
  });

  test('a body that is not JSON is a 502 upstream_bad_response naming the problem', async () => {
    await first.admin.setOptions({ malformedAfter: 0, faultTimes: 1 });
    const response = await requestJson(`${server.url}/v1/chat/completions`, { body: { model: 'custom:model-a', messages: MESSAGES } });
    assert.equal(response.status, 502, JSON.stringify(response.body));
    assert.equal(response.body.error.code, 'upstream_bad_response');
    assert.match(response.body.error.message, /malformed answer: the body is not JSON/);
  });

  test('an answer slower than the first-byte plus the idle timeout is an upstream_timeout; a slower first byte alone is not', async () => {
    await first.admin.setOptions({ ttftMs: 700 });
    const slow = await whole(client, 'custom:model-a');
    assert.ok((slow.content ?? '').length > 0, 'past the first-byte timeout, within first-byte + idle');
    await first.admin.setOptions({ ttftMs: 5_000 });
    const started = Date.now();
    const response = await requestJson(`${server.url}/v1/chat/completions`, { body: { model: 'custom:model-a', messages: MESSAGES } });
    assert.equal(response.body.error?.code, 'upstream_timeout', JSON.stringify(response.body));
    assert.match(response.body.error.message, /sent nothing within 1000 ms/);
    assert.ok(Date.now() - started >= 900);
  });

  test('a client that goes away aborts the whole-answer request upstream', async () => {
    await first.admin.setOptions({ ttftMs: 300 });
    const controller = new AbortController();
    const pending = client.chat.completions.create({ model: 'custom:model-a', messages: MESSAGES }, { signal: controller.signal });
    for (let attempt = 0; attempt < 200 && (await chatBodies(first)).length === 0; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await assert.rejects(pending);
    let requests = await first.admin.requests();
    for (let attempt = 0; attempt < 200 && requests[0]?.aborted !== true; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      requests = await first.admin.requests();
    }
    assert.deepEqual([requests[0]?.aborted, requests[0]?.completed], [true, false]);
  });

  test('/usage and the run record show the whole answer’s usage', async () => {
    const before = (await requestJson(`${server.url}/usage`)).body.totals as { runs: number; completion_tokens: number; cost_usd: number };
    await first.admin.setOptions({ replayFile: upstreamStream('openrouter-usage') });
    const answer = await whole(client, 'custom:model-a');
    const run = (await requestJson(`${server.url}/runs/${answer.id.replace(/^chatcmpl-/, '')}`)).body as { status: string; usage: Record<string, number> };
    assert.equal(run.status, 'complete');
    assert.equal(run.usage.prompt_tokens, answer.usage?.prompt_tokens);
    assert.equal(run.usage.completion_tokens, answer.usage?.completion_tokens);
    assert.ok(run.usage.cost_usd !== undefined && run.usage.cost_usd > 0, JSON.stringify(run.usage));
    const totals = (await requestJson(`${server.url}/usage`)).body.totals as { runs: number; completion_tokens: number; cost_usd: number };
    assert.equal(totals.runs, before.runs + 1);
    assert.equal(totals.completion_tokens, before.completion_tokens + (answer.usage?.completion_tokens ?? 0));
    assert.ok(totals.cost_usd > before.cost_usd);
  });
});

describe('a 200 answer that carries an error maps as on the stream path', () => {
  let errorBody = '';
  let upstream: Server;
  let parley: RunningParley;
  before(async () => {
    // Servers and proxies that report an error with a 200 JSON body, whatever `stream` asked for.
    upstream = createHttpServer((request, response) => {
      request.resume();
      request.once('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end(errorBody));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const { port } = upstream.address() as { port: number };
    parley = await startParley({ PARLEY_PROVIDER_BASE_URL: `http://127.0.0.1:${port}/v1`, PARLEY_UPSTREAM_RETRIES: '0' });
  });
  after(async () => {
    await parley.stop();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  const bodies: [name: string, body: object, status: number, code: string][] = [
    ['an error object naming a missing model', { error: { message: 'The model `ghost` does not exist', code: 'model_not_found' } }, 404, 'model_not_found'],
    ['an error object', { error: { message: 'Upstream overloaded', code: 503 } }, 502, 'upstream_unavailable'],
    ['a FastAPI detail', { detail: 'Engine crashed' }, 502, 'upstream_unavailable'],
  ];
  for (const [name, body, status, code] of bodies) {
    test(name, async () => {
      errorBody = JSON.stringify(body);
      const answer = async (stream: boolean) => {
        const response = await requestJson(`${parley.url}/v1/chat/completions`, { body: { model: 'custom:ghost', messages: MESSAGES, stream } });
        return { status: response.status, error: response.body.error };
      };
      const json = await answer(false);
      assert.deepEqual([json.status, json.error?.code], [status, code], JSON.stringify(json));
      assert.deepEqual(json, await answer(true));
    });
  }
});
