import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { ParleyError } from '../src/errors.js';
import { attributionHeaders, createOpenAICompatibleProvider, type OpenAICompatibleConfig } from '../src/providers/openai-compatible/index.js';
import type { ChatRequest, Provider, StreamPart, Usage } from '../src/providers/types.js';
import { upstreamStream } from './helpers/fixtures.js';

/** A loopback upstream that records what it was sent. */
interface TestUpstream {
  baseURL: string;
  /** TCP connections accepted so far. */
  connections: () => number;
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[];
  close: () => Promise<void>;
}

type Handler = (request: http.IncomingMessage, response: http.ServerResponse, body: string) => void;

const upstreams: TestUpstream[] = [];
const providers: Provider[] = [];
after(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  await Promise.all(upstreams.map((upstream) => upstream.close()));
});

async function startUpstream(handler: Handler): Promise<TestUpstream> {
  let connections = 0;
  const requests: TestUpstream['requests'] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      handler(request, response, body);
    });
  });
  server.on('connection', () => {
    connections += 1;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const upstream: TestUpstream = {
    baseURL: `http://127.0.0.1:${port}/v1`,
    connections: () => connections,
    requests,
    close: async () => {
      server.closeAllConnections();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  upstreams.push(upstream);
  return upstream;
}

function provider(baseURL: string, overrides: Partial<OpenAICompatibleConfig> = {}): Provider {
  const created = createOpenAICompatibleProvider({
    name: 'test-upstream',
    baseURL,
    apiKey: 'sk-test-0123456789abcdef',
    headers: {},
    defaultModel: 'test-model',
    firstByteTimeoutMs: 5_000,
    idleTimeoutMs: 5_000,
    maxRetries: 0,
    ...overrides,
  });
  providers.push(created);
  return created;
}

const chatRequest: ChatRequest = { model: 'test-model', messages: [{ role: 'user', content: 'Hello' }] };

async function collect(stream: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

function textOf(parts: StreamPart[], type: 'message.delta' | 'reasoning.delta'): string {
  return parts.map((part) => (part.type === type ? part.text : '')).join('');
}

function errorOf(parts: StreamPart[]): ParleyError {
  const last = parts.at(-1);
  if (last?.type !== 'error') assert.fail(`expected a final error part, got ${JSON.stringify(parts.map((part) => part.type))}`);
  assert.equal(parts.filter((part) => part.type === 'error').length, 1);
  return last.error;
}

function fixtureLines(name: string): string[] {
  return readFileSync(upstreamStream(name), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
}

function writeSse(response: http.ServerResponse, payloads: string[], options: { done?: boolean } = {}): void {
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const payload of payloads) response.write(`data: ${payload}\n\n`);
  if (options.done ?? true) response.write('data: [DONE]\n\n');
  response.end();
}

const replay = (name: string): Handler => (_request, response) => writeSse(response, fixtureLines(name));
const chunks = (...deltas: unknown[]): string[] => deltas.map((delta) => JSON.stringify({ choices: [{ index: 0, delta }] }));
const finishChunk = (finishReason: string, usage?: unknown) =>
  JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: finishReason }], ...(usage === undefined ? {} : { usage }) });

/** Expectations computed straight from a fixture's raw chunks. */
function expectationsOf(name: string) {
  let content = '';
  let reasoning = '';
  let lastUsage: Record<string, unknown> | undefined;
  const toolCalls = new Map<number, { id: string; name: string; arguments: string }>();
  for (const line of fixtureLines(name)) {
    const chunk = JSON.parse(line);
    if (chunk.usage) lastUsage = chunk.usage;
    const delta = chunk.choices?.[0]?.delta ?? {};
    if (typeof delta.content === 'string') content += delta.content;
    if (typeof delta.reasoning_content === 'string') reasoning += delta.reasoning_content;
    if (typeof delta.reasoning === 'string') reasoning += delta.reasoning;
    for (const call of delta.tool_calls ?? []) {
      const entry = toolCalls.get(call.index) ?? { id: '', name: '', arguments: '' };
      entry.id += call.id ?? '';
      entry.name += call.function?.name ?? '';
      entry.arguments += call.function?.arguments ?? '';
      toolCalls.set(call.index, entry);
    }
  }
  return { content, reasoning, lastUsage, toolCalls: [...toolCalls.values()] };
}

function reassembleToolCalls(parts: StreamPart[]) {
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  for (const part of parts) {
    if (part.type !== 'tool_call.delta') continue;
    const entry = calls.get(part.index) ?? { id: '', name: '', arguments: '' };
    entry.id += part.id ?? '';
    entry.name += part.name ?? '';
    entry.arguments += part.arguments ?? '';
    calls.set(part.index, entry);
  }
  return [...calls.values()];
}

// Read off the fixtures' last usage objects by hand, so a mapping bug cannot hide.
const FIXTURES: Record<string, { finish: string; usage: Usage }> = {
  'openai-text': { finish: 'stop', usage: { prompt_tokens: 16, completion_tokens: 300, reasoning_tokens: 0, cached_tokens: 0 } },
  'deepseek-text': { finish: 'length', usage: { prompt_tokens: 13, completion_tokens: 400, reasoning_tokens: 0, cached_tokens: 0 } },
  'deepseek-reasoning': { finish: 'stop', usage: { prompt_tokens: 18, completion_tokens: 219, reasoning_tokens: 205, cached_tokens: 0 } },
  'deepseek-tool-call': { finish: 'tool_calls', usage: { prompt_tokens: 339, completion_tokens: 83, reasoning_tokens: 39, cached_tokens: 320 } },
  'groq-reasoning': { finish: 'stop', usage: { prompt_tokens: 17, completion_tokens: 1107, reasoning_tokens: 963, cached_tokens: 0 } },
  // xAI counts its 340 reasoning tokens beside completion_tokens (2) and reports cost in ticks (1 USD = 1e10):
  // as OpenAI defines usage, completion_tokens is 342 (total 354 = 12 + 342), cost 1721250 / 1e10 USD.
  'xai-text': { finish: 'stop', usage: { prompt_tokens: 12, completion_tokens: 342, reasoning_tokens: 340, cached_tokens: 11, cost: 0.000172125 } },
  'mistral-text': { finish: 'stop', usage: { prompt_tokens: 13, completion_tokens: 8, reasoning_tokens: 0, cached_tokens: 0 } },
};

describe('OpenAI-compatible adapter: recorded provider streams', () => {
  for (const [name, expected] of Object.entries(FIXTURES)) {
    it(`replays ${name}: text, reasoning, tool calls, one finish and the last usage`, async () => {
      const upstream = await startUpstream(replay(name));
      const parts = await collect(provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal }));
      const fromFixture = expectationsOf(name);

      assert.equal(parts.find((part) => part.type === 'error'), undefined);
      assert.equal(textOf(parts, 'message.delta'), fromFixture.content);
      assert.equal(textOf(parts, 'reasoning.delta'), fromFixture.reasoning);
      assert.ok(parts.every((part) => !('text' in part) || part.text !== ''), 'no empty deltas');

      const raw = fromFixture.lastUsage as {
        prompt_tokens: number;
        total_tokens: number;
        prompt_tokens_details?: { cached_tokens?: number };
        completion_tokens_details?: { reasoning_tokens?: number };
        cost_in_usd_ticks?: number;
      };
      // OpenAI's definition: total = prompt + completion, reasoning a part of completion.
      const mappedFromFixture: Usage = {
        prompt_tokens: raw.prompt_tokens,
        completion_tokens: raw.total_tokens - raw.prompt_tokens,
        reasoning_tokens: raw.completion_tokens_details?.reasoning_tokens ?? 0,
        cached_tokens: raw.prompt_tokens_details?.cached_tokens ?? 0,
        ...(raw.cost_in_usd_ticks === undefined ? {} : { cost: raw.cost_in_usd_ticks / 1e10 }),
      };
      const usageParts = parts.filter((part) => part.type === 'usage');
      assert.equal(usageParts.length, 1);
      assert.deepEqual(usageParts[0], { type: 'usage', usage: mappedFromFixture });
      assert.deepEqual(usageParts[0], { type: 'usage', usage: expected.usage });
      const usage = expected.usage;
      assert.ok(usage.completion_tokens >= usage.reasoning_tokens, 'reasoning tokens are a part of completion_tokens');
      assert.equal(parts.at(-1)?.type, 'usage', 'usage comes last');

      const finishes = parts.filter((part) => part.type === 'finish');
      assert.deepEqual(finishes, [{ type: 'finish', finish_reason: expected.finish }]);
      assert.equal(parts.at(-2)?.type, 'finish');

      assert.deepEqual(reassembleToolCalls(parts), fromFixture.toolCalls);
    });
  }

  it('reassembles the deepseek-tool-call into one call with a name and complete JSON arguments', async () => {
    const upstream = await startUpstream(replay('deepseek-tool-call'));
    const parts = await collect(provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal }));
    const calls = reassembleToolCalls(parts);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.id, 'call_00_ioIn7yN9p1ZOMNpDLwd4MgAF');
    assert.equal(calls[0]?.name, 'weather');
    const parsedArguments: unknown = JSON.parse(calls[0]?.arguments ?? '');
    assert.equal(typeof parsedArguments, 'object');
    assert.deepEqual(Object.keys(parsedArguments as object), ['location']);
    assert.match(calls[0]?.arguments ?? '', /San Francisco/);
  });

  it('sends the mapped request with key, configured headers and stream options', async () => {
    const upstream = await startUpstream(replay('mistral-text'));
    const configured = provider(upstream.baseURL, { headers: attributionHeaders('https://app.example', 'Parley Test') });
    await collect(configured.stream({ ...chatRequest, temperature: 0.2, max_tokens: 64, stop: ['END'] }, { signal: new AbortController().signal }));
    const [sent] = upstream.requests;
    assert.equal(sent?.method, 'POST');
    assert.equal(sent?.url, '/v1/chat/completions');
    assert.equal(sent?.headers.authorization, 'Bearer sk-test-0123456789abcdef');
    assert.equal(sent?.headers.accept, 'text/event-stream');
    assert.equal(sent?.headers['http-referer'], 'https://app.example');
    assert.equal(sent?.headers['x-title'], 'Parley Test');
    assert.deepEqual(JSON.parse(sent?.body ?? ''), {
      model: 'test-model',
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.2,
      max_tokens: 64,
      stop: ['END'],
    });
  });

  it('sends typed tools and tool choice in OpenAI\'s shape, with the reasoning effort, and leaves provider metadata out', async () => {
    const upstream = await startUpstream(replay('mistral-text'));
    await collect(
      provider(upstream.baseURL).stream(
        {
          model: 'test-model',
          messages: [
            { role: 'user', content: 'Hello' },
            { role: 'assistant', content: 'Hi', providerMetadata: { anthropic: { thinking: [] } } },
            { role: 'user', content: 'Weather?' },
          ],
          tools: [{ type: 'function', name: 'weather', description: 'Current weather', inputSchema: { type: 'object', properties: {} }, strict: true }],
          tool_choice: { type: 'tool', toolName: 'weather' },
          reasoning_effort: 'low',
        },
        { signal: new AbortController().signal },
      ),
    );
    const body = JSON.parse(upstream.requests[0]?.body ?? '');
    assert.deepEqual(body.messages[1], { role: 'assistant', content: 'Hi' });
    assert.deepEqual(body.tools, [{ type: 'function', function: { name: 'weather', description: 'Current weather', parameters: { type: 'object', properties: {} }, strict: true } }]);
    assert.deepEqual(body.tool_choice, { type: 'function', function: { name: 'weather' } });
    assert.equal(body.reasoning_effort, 'low');
  });
});

describe('OpenAI-compatible adapter: reasoning in content', () => {
  it('turns <think> content split across chunks into reasoning', async () => {
    const upstream = await startUpstream((_request, response) =>
      writeSse(response, [
        ...chunks({ role: 'assistant', content: '' }, { content: '<thi' }, { content: 'nk>\nCount the r' }, { content: "'s.</th" }),
        ...chunks({ content: 'ink>\n\nThere are ' }, { content: 'three.' }),
        finishChunk('stop'),
      ]),
    );
    const parts = await collect(provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal }));
    assert.equal(textOf(parts, 'reasoning.delta'), "Count the r's.");
    assert.equal(textOf(parts, 'message.delta'), 'There are three.');
    assert.ok(parts.every((part) => !('text' in part) || !/<\/?th/.test(part.text)), 'no tag fragments leak');
  });

  it('keeps a <think> tag that appears later in prose as content', async () => {
    const upstream = await startUpstream((_request, response) =>
      writeSse(response, [...chunks({ content: 'Models write <thi' }, { content: 'nk> first.' }), finishChunk('stop')]),
    );
    const parts = await collect(provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal }));
    assert.equal(textOf(parts, 'message.delta'), 'Models write <think> first.');
    assert.equal(textOf(parts, 'reasoning.delta'), '');
  });

  it('emits an unfinished <thi prefix as content at the end', async () => {
    const upstream = await startUpstream((_request, response) => writeSse(response, [...chunks({ content: '<thi' }), finishChunk('stop')]));
    const parts = await collect(provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal }));
    assert.equal(textOf(parts, 'message.delta'), '<thi');
  });

  it('maps content arrays: thinking parts to reasoning, text parts to the answer', async () => {
    const upstream = await startUpstream((_request, response) =>
      writeSse(response, [
        ...chunks(
          { content: [{ type: 'thinking', thinking: [{ type: 'text', text: 'Step one. ' }] }] },
          { content: [{ type: 'thinking', thinking: 'Step two.' }] },
          { content: [{ type: 'text', text: 'Answer' }, { type: 'image_url', image_url: 'ignored' }] },
          { content: [{ type: 'text', text: '!' }] },
        ),
        finishChunk('stop'),
      ]),
    );
    const parts = await collect(provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal }));
    assert.equal(textOf(parts, 'reasoning.delta'), 'Step one. Step two.');
    assert.equal(textOf(parts, 'message.delta'), 'Answer!');
  });

  it('emits only the last usage, once, with OpenRouter cost', async () => {
    const usageInFinish = { prompt_tokens: 5, completion_tokens: 1 };
    const finalUsage = { prompt_tokens: 5, completion_tokens: 2, cost: 0.00042, prompt_tokens_details: null, completion_tokens_details: { reasoning_tokens: 1 } };
    const upstream = await startUpstream((_request, response) =>
      writeSse(response, [...chunks({ content: 'Hi' }), finishChunk('function_call', usageInFinish), JSON.stringify({ choices: [], usage: finalUsage })]),
    );
    const parts = await collect(provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal }));
    assert.deepEqual(parts, [
      { type: 'message.delta', text: 'Hi' },
      { type: 'finish', finish_reason: 'tool_calls' },
      { type: 'usage', usage: { prompt_tokens: 5, completion_tokens: 2, reasoning_tokens: 1, cached_tokens: 0, cost: 0.00042 } },
    ]);
  });
});

describe('OpenAI-compatible adapter: upstream errors', () => {
  const respondWith = (status: number, body: unknown, headers: Record<string, string> = {}): Handler => (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };

  it('maps 401 to upstream_auth_failed without echoing the key', async () => {
    const upstream = await startUpstream(respondWith(401, { error: { message: 'Incorrect API key provided: sk-test-0123456789abcdef.', code: 'invalid_api_key' } }));
    const parts = await collect(provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal }));
    assert.equal(parts.length, 1);
    const error = errorOf(parts);
    assert.equal(error.code, 'upstream_auth_failed');
    assert.equal(error.retryable, false);
    assert.doesNotMatch(error.message, /0123456789abcdef/);
    assert.match(error.message, /Incorrect API key provided/);
  });

  it('maps a 404 for the model to model_not_found naming the model', async () => {
    const upstream = await startUpstream(respondWith(404, { error: { message: 'The model `no-such-model` does not exist', code: 'model_not_found' } }));
    const parts = await collect(provider(upstream.baseURL).stream({ ...chatRequest, model: 'no-such-model' }, { signal: new AbortController().signal }));
    const error = errorOf(parts);
    assert.equal(error.code, 'model_not_found');
    assert.match(error.message, /no-such-model/);
  });

  it('maps a 400 whose message says the model does not exist to model_not_found', async () => {
    const upstream = await startUpstream(respondWith(400, { error: { message: 'Model Not Exist', type: 'invalid_request_error' } }));
    const error = errorOf(await collect(provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal })));
    assert.equal(error.code, 'model_not_found');
  });

  it('maps other 400s to validation_failed with the upstream message and param', async () => {
    const upstream = await startUpstream(respondWith(400, { error: { message: 'temperature must be at most 2', param: 'temperature' } }));
    const error = errorOf(await collect(provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal })));
    assert.equal(error.code, 'validation_failed');
    assert.equal(error.param, 'temperature');
    assert.match(error.message, /temperature must be at most 2/);
  });

  it('maps 429 to upstream_rate_limited and copies Retry-After', async () => {
    const upstream = await startUpstream(respondWith(429, { error: { message: 'Slow down' } }, { 'retry-after': '7' }));
    const error = errorOf(await collect(provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal })));
    assert.equal(error.code, 'upstream_rate_limited');
    assert.equal(error.retryable, true);
    assert.equal(error.retryAfterSeconds, 7);
  });

  it('computes Retry-After from retry-after-ms when that is all the upstream sends', async () => {
    const upstream = await startUpstream(respondWith(429, { error: { message: 'Slow down' } }, { 'retry-after-ms': '1500' }));
    const error = errorOf(await collect(provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal })));
    assert.equal(error.retryAfterSeconds, 1.5);
  });

  it('maps 500 to upstream_unavailable', async () => {
    const upstream = await startUpstream((_request, response) => {
      response.writeHead(500, { 'content-type': 'text/html' });
      response.end('<html><body>internal stack trace at 10.0.0.7</body></html>');
    });
    const error = errorOf(await collect(provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal })));
    assert.equal(error.code, 'upstream_unavailable');
    assert.equal(error.retryable, true);
    assert.doesNotMatch(error.message, /10\.0\.0\.7|html/);
  });

  it('reads at most 8 KiB of a huge error body', async () => {
    let written = 0;
    const upstream = await startUpstream((_request, response) => {
      response.writeHead(503, { 'content-type': 'text/plain' });
      const block = 'x'.repeat(64 * 1024);
      const pump = () => {
        while (written < 64 * 1024 * 1024 && response.write(block)) written += block.length;
        if (written < 64 * 1024 * 1024) response.once('drain', pump);
      };
      response.on('close', () => response.removeAllListeners('drain'));
      pump();
    });
    const error = errorOf(await collect(provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal })));
    assert.equal(error.code, 'upstream_unavailable');
    assert.ok(error.message.length < 1_000);
    assert.ok(written < 64 * 1024 * 1024, 'the body was not read to its end');
  });

  it('maps a refused connection to upstream_unavailable', async () => {
    const probe = http.createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const error = errorOf(await collect(provider(`http://127.0.0.1:${port}/v1`).stream(chatRequest, { signal: new AbortController().signal })));
    assert.equal(error.code, 'upstream_unavailable');
    assert.match(error.message, /ECONNREFUSED/);
    assert.doesNotMatch(error.message, /127\.0\.0\.1/);
  });

  it('times out with upstream_timeout when the server never responds', async () => {
    let serverSawClose = false;
    const upstream = await startUpstream((_request, response) => {
      response.on('close', () => {
        serverSawClose = true;
      });
    });
    const started = performance.now();
    const parts = await collect(provider(upstream.baseURL, { firstByteTimeoutMs: 200 }).stream(chatRequest, { signal: new AbortController().signal }));
    const elapsed = performance.now() - started;
    const error = errorOf(parts);
    assert.equal(error.code, 'upstream_timeout');
    assert.ok(elapsed >= 190 && elapsed < 2_000, `timed out after ${elapsed} ms`);
    await delay(50);
    assert.ok(serverSawClose, 'the upstream request was aborted');
  });

  it('times out when headers arrive but no body byte follows', async () => {
    const upstream = await startUpstream((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.flushHeaders();
    });
    const error = errorOf(await collect(provider(upstream.baseURL, { firstByteTimeoutMs: 200 }).stream(chatRequest, { signal: new AbortController().signal })));
    assert.equal(error.code, 'upstream_timeout');
  });

  it('does not time out a slow stream once the first byte has arrived', async () => {
    const upstream = await startUpstream((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(': processing\n\n');
      setTimeout(() => {
        for (const payload of [...chunks({ content: 'late' }), finishChunk('stop')]) response.write(`data: ${payload}\n\n`);
        response.end('data: [DONE]\n\n');
      }, 400).unref();
    });
    const parts = await collect(provider(upstream.baseURL, { firstByteTimeoutMs: 200 }).stream(chatRequest, { signal: new AbortController().signal }));
    assert.equal(textOf(parts, 'message.delta'), 'late');
    assert.equal(parts.find((part) => part.type === 'error'), undefined);
  });
});

describe('OpenAI-compatible adapter: broken streams', () => {
  it('ends with upstream_unavailable after the deltas when the socket is destroyed mid-stream', async () => {
    const upstream = await startUpstream((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const payload of chunks({ content: 'one ' }, { content: 'two ' }, { content: 'three' })) response.write(`data: ${payload}\n\n`);
      setTimeout(() => response.socket?.destroy(), 50).unref();
    });
    const parts = await collect(provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal }));
    assert.deepEqual(
      parts.slice(0, -1),
      ['one ', 'two ', 'three'].map((text) => ({ type: 'message.delta', text })),
    );
    const error = errorOf(parts);
    assert.equal(error.code, 'upstream_unavailable');
    assert.match(error.message, /cut off/);
  });

  it('ends with upstream_unavailable when the body ends without finish_reason or [DONE]', async () => {
    const upstream = await startUpstream((_request, response) => writeSse(response, chunks({ content: 'partial' }), { done: false }));
    const parts = await collect(provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal }));
    assert.deepEqual(parts[0], { type: 'message.delta', text: 'partial' });
    const error = errorOf(parts);
    assert.equal(error.code, 'upstream_unavailable');
    assert.match(error.message, /cut off/);
  });

  it('treats a body with finish_reason but no [DONE] as complete', async () => {
    const upstream = await startUpstream((_request, response) => writeSse(response, [...chunks({ content: 'done' }), finishChunk('stop')], { done: false }));
    const parts = await collect(provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal }));
    assert.deepEqual(parts, [{ type: 'message.delta', text: 'done' }, { type: 'finish', finish_reason: 'stop' }]);
  });

  it('yields upstream_bad_response for a malformed JSON chunk', async () => {
    const upstream = await startUpstream((_request, response) => writeSse(response, [...chunks({ content: 'ok' }), '{"choices": [', ...chunks({ content: 'never' })]));
    const parts = await collect(provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal }));
    assert.deepEqual(parts[0], { type: 'message.delta', text: 'ok' });
    assert.equal(errorOf(parts).code, 'upstream_bad_response');
    assert.equal(textOf(parts, 'message.delta'), 'ok');
  });

  it('yields upstream_bad_response for a chunk that breaks the schema', async () => {
    const upstream = await startUpstream((_request, response) => writeSse(response, [JSON.stringify({ choices: [{ index: 0, delta: { content: 42 } }] })]));
    const error = errorOf(await collect(provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal })));
    assert.equal(error.code, 'upstream_bad_response');
    assert.match(error.message, /content/);
  });

  it('turns an error object sent mid-stream into a final error part', async () => {
    const upstream = await startUpstream((_request, response) =>
      writeSse(response, [...chunks({ content: 'Hal' }), JSON.stringify({ error: { message: 'Provider returned error', code: 502 }, choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }] })]),
    );
    const parts = await collect(provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal }));
    assert.equal(textOf(parts, 'message.delta'), 'Hal');
    const error = errorOf(parts);
    assert.equal(error.code, 'upstream_unavailable');
    assert.match(error.message, /Provider returned error/);
  });
});

describe('OpenAI-compatible adapter: cancellation and connections', () => {
  /** Streams a delta every 20 ms until the client goes away; resolves when the server sees the close. */
  async function endlessUpstream() {
    let resolveClosed: (finishedNormally: boolean) => void = () => {};
    const closed = new Promise<boolean>((resolve) => {
      resolveClosed = resolve;
    });
    const upstream = await startUpstream((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const timer = setInterval(() => response.write(`data: ${chunks({ content: 'tick ' })[0]}\n\n`), 20);
      response.write(`data: ${chunks({ content: 'tick ' })[0]}\n\n`);
      response.on('close', () => {
        clearInterval(timer);
        resolveClosed(response.writableFinished);
      });
    });
    return { upstream, closed };
  }

  const within = <T>(promise: Promise<T>, milliseconds: number) =>
    Promise.race([promise, delay(milliseconds).then(() => assert.fail(`not settled within ${milliseconds} ms`))]);

  it('aborting the signal mid-stream closes the upstream request and ends without an error part', async () => {
    const { upstream, closed } = await endlessUpstream();
    const controller = new AbortController();
    const parts: StreamPart[] = [];
    for await (const part of provider(upstream.baseURL).stream(chatRequest, { signal: controller.signal })) {
      parts.push(part);
      if (parts.length === 3) controller.abort();
    }
    assert.ok(parts.length >= 3);
    assert.ok(parts.every((part) => part.type === 'message.delta'));
    assert.equal(await within(closed, 2_000), false, 'the server saw the request close before the response finished');
  });

  it('breaking out of for await early closes the upstream request', async () => {
    const { upstream, closed } = await endlessUpstream();
    let received = 0;
    for await (const part of provider(upstream.baseURL).stream(chatRequest, { signal: new AbortController().signal })) {
      assert.equal(part.type, 'message.delta');
      received += 1;
      if (received === 2) break;
    }
    assert.equal(await within(closed, 2_000), false);
  });

  it('an already aborted signal yields nothing and sends nothing', async () => {
    const upstream = await startUpstream(replay('mistral-text'));
    const parts = await collect(provider(upstream.baseURL).stream(chatRequest, { signal: AbortSignal.abort() }));
    assert.deepEqual(parts, []);
    assert.equal(upstream.requests.length, 0);
  });

  it('reuses one keep-alive TCP connection for sequential streams', async () => {
    const upstream = await startUpstream(replay('openai-text'));
    const shared = provider(upstream.baseURL);
    const first = await collect(shared.stream(chatRequest, { signal: new AbortController().signal }));
    const second = await collect(shared.stream(chatRequest, { signal: new AbortController().signal }));
    const third = await collect(shared.stream(chatRequest, { signal: new AbortController().signal }));
    assert.equal(textOf(first, 'message.delta'), textOf(second, 'message.delta'));
    assert.equal(textOf(second, 'message.delta'), textOf(third, 'message.delta'));
    assert.equal(upstream.requests.length, 3);
    assert.equal(upstream.connections(), 1);
  });

  it('runs 300 streams at once on 300 connections: no hidden cap of 128', async () => {
    const streams = 300;
    let open = 0;
    let peak = 0;
    const held: http.ServerResponse[] = [];
    const releaseAll = () => {
      for (const response of held.splice(0)) writeSse(response, [...chunks({ content: 'ok' }), finishChunk('stop')]);
    };
    // Answers are held until every stream has reached the upstream (or 5 s passed, so a cap fails the assertion, not the run).
    const deadline = setTimeout(releaseAll, 5_000);
    const upstream = await startUpstream((_request, response) => {
      open += 1;
      peak = Math.max(peak, open);
      response.on('close', () => (open -= 1));
      held.push(response);
      if (peak === streams) releaseAll();
    });
    const shared = provider(upstream.baseURL, { maxConnections: 4096, firstByteTimeoutMs: 20_000 });
    try {
      const results = await Promise.all(Array.from({ length: streams }, () => collect(shared.stream(chatRequest, { signal: new AbortController().signal }))));
      assert.equal(peak, streams);
      assert.equal(upstream.connections(), streams);
      for (const parts of results) assert.equal(textOf(parts, 'message.delta'), 'ok');
    } finally {
      clearTimeout(deadline);
    }
  });

  it('a call waiting for a free connection is not timed out: the first-byte clock starts when it is sent', async () => {
    let open = 0;
    let peak = 0;
    // Each answer: first byte after 150 ms, done after 450 ms.
    const upstream = await startUpstream((_request, response) => {
      open += 1;
      peak = Math.max(peak, open);
      response.on('close', () => (open -= 1));
      setTimeout(() => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(`data: ${chunks({ content: 'queued ' })[0]}\n\n`);
      }, 150).unref();
      setTimeout(() => response.end(`data: ${finishChunk('stop')}\n\ndata: [DONE]\n\n`), 450).unref();
    });
    // One connection: the third call waits about 900 ms for it, three times the first-byte limit.
    const single = provider(upstream.baseURL, { maxConnections: 1, firstByteTimeoutMs: 300 });
    const results = await Promise.all(Array.from({ length: 3 }, () => collect(single.stream(chatRequest, { signal: new AbortController().signal }))));
    for (const parts of results) {
      assert.equal(parts.find((part) => part.type === 'error'), undefined, JSON.stringify(parts));
      assert.equal(textOf(parts, 'message.delta'), 'queued ');
    }
    assert.equal(peak, 1);
    assert.equal(upstream.connections(), 1);
  });

  it('still times out a sent call whose provider stays silent, while another call waits for the connection', async () => {
    const upstream = await startUpstream(() => {
      // Never answers.
    });
    const single = provider(upstream.baseURL, { maxConnections: 1, firstByteTimeoutMs: 200 });
    const started = performance.now();
    const [first, second] = await Promise.all([0, 1].map(() => collect(single.stream(chatRequest, { signal: new AbortController().signal }))));
    assert.equal(errorOf(first!).code, 'upstream_timeout');
    assert.match(errorOf(first!).message, /sent nothing within 200 ms/);
    assert.equal(errorOf(second!).code, 'upstream_timeout');
    // The second was sent only after the first timed out: about two limits in all, not one.
    assert.ok(performance.now() - started >= 380, `${performance.now() - started} ms`);
  });
});

describe('OpenAI-compatible adapter: listModels', () => {
  it('maps data[] to ModelInfo, keeping extra fields and filling owned_by', async () => {
    const upstream = await startUpstream((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ object: 'list', data: [{ id: 'a', object: 'model', owned_by: 'acme' }, { id: 'vendor/b', context_length: 8192 }, { name: 'no id' }] }),
      );
    });
    const models = await provider(upstream.baseURL).listModels();
    assert.equal(upstream.requests[0]?.url, '/v1/models');
    assert.equal(upstream.requests[0]?.headers.authorization, 'Bearer sk-test-0123456789abcdef');
    assert.deepEqual(models, [
      { id: 'a', object: 'model', owned_by: 'acme' },
      { id: 'vendor/b', context_length: 8192, owned_by: 'test-upstream' },
    ]);
  });

  it('throws upstream_auth_failed for a 401', async () => {
    const upstream = await startUpstream((_request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'No auth credentials found' } }));
    });
    await assert.rejects(provider(upstream.baseURL).listModels(), (error: unknown) => error instanceof ParleyError && error.code === 'upstream_auth_failed');
  });

  it('throws upstream_unavailable when the server is unreachable', async () => {
    const probe = http.createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    await assert.rejects(provider(`http://127.0.0.1:${port}/v1`).listModels(), (error: unknown) => error instanceof ParleyError && error.code === 'upstream_unavailable');
  });
});
