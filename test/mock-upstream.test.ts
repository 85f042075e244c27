// The standalone mock upstream, run as a real process and driven over HTTP.
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { mockScript } from '../src/providers/mock/script.js';
import { spawnMockUpstream } from './helpers/mock-upstream-process.js';
import type { MockUpstreamProcess } from './helpers/mock-upstream-process.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/upstream-streams/', import.meta.url));
const PROMPT = { model: 'mock-model', messages: [{ role: 'user' as const, content: 'hello there' }] };
const EXPECTED_TEXT = 'Mock reply to "hello there": order frontend and a.';

interface Delta {
  role?: string;
  content?: string | null;
  reasoning?: string;
  reasoning_content?: string;
}
interface Chunk {
  id: string;
  object: string;
  model: string;
  type?: string;
  choices: { index: number; delta: Delta; logprobs: null; finish_reason: string | null }[];
  usage?: unknown;
}
interface Completion {
  object: string;
  model: string;
  choices: { index: number; message: { content: string | null }; finish_reason: string | null }[];
  usage: { completion_tokens_details: unknown };
}
interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

function chat(upstream: MockUpstreamProcess, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${upstream.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
}

/** SSE events of a body, without their blank-line separators. */
function events(text: string): string[] {
  return text.split('\n\n').filter((event) => event !== '');
}

/** Parsed JSON of every `data:` event except `[DONE]`. */
function chunks(text: string): Chunk[] {
  return events(text)
    .filter((event) => event !== 'data: [DONE]')
    .map((event) => JSON.parse(event.slice('data: '.length)) as Chunk);
}

/** Concatenated content deltas of chunks. */
function contentOf(list: Chunk[]): string {
  return list.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
}

/** Reads a body to its end or its error, keeping what arrived before an error. */
async function readAll(response: Response): Promise<{ text: string; error?: unknown }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text };
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error };
  }
}

async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('mock upstream, scripted', () => {
  let upstream: MockUpstreamProcess;
  before(async () => {
    upstream = await spawnMockUpstream(['--chunks', '5']);
  });
  after(async () => {
    assert.equal(await upstream.stop(), 0);
  });
  beforeEach(() => upstream.admin.reset());

  test('lists the configured models on GET /v1/models', async () => {
    const response = await fetch(`${upstream.url}/models`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      object: 'list',
      data: [
        { id: 'mock-model', object: 'model', created: 1_700_000_000, owned_by: 'parley-mock' },
        { id: 'mock/reasoner', object: 'model', created: 1_700_000_000, owned_by: 'parley-mock' },
      ],
    });
  });

  test('streams the scripted text, a stop chunk and [DONE]', async () => {
    const response = await chat(upstream, { ...PROMPT, stream: true });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const text = await response.text();
    assert.ok(text.endsWith('\n\ndata: [DONE]\n\n'));
    const parsed = chunks(text);
    assert.equal(parsed.length, 7);
    assert.deepEqual(parsed[0]!.choices, [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
    for (const chunk of parsed) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      assert.equal(chunk.model, 'mock-model');
      assert.equal(chunk.id, parsed[0]!.id);
    }
    const content = parsed.slice(1, 6).map((chunk) => chunk.choices[0]?.delta.content);
    assert.deepEqual(content, mockScript(PROMPT, { chunkCount: 5 }).content);
    assert.equal(content.join(''), EXPECTED_TEXT);
    assert.deepEqual(parsed[6]!.choices, [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
  });

  test('include_usage adds a usage chunk with empty choices before [DONE]', async () => {
    const response = await chat(upstream, { ...PROMPT, stream: true, stream_options: { include_usage: true } });
    const parsed = chunks(await response.text());
    assert.equal(parsed.length, 8);
    const last = parsed[7]!;
    assert.deepEqual(last.choices, []);
    assert.deepEqual(last.usage, {
      prompt_tokens: 6,
      completion_tokens: 5,
      total_tokens: 11,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });

  test('reasoning chunks arrive in the configured field before the content', async () => {
    await upstream.admin.setOptions({ reasoningChunks: 3, reasoningField: 'reasoning' });
    const parsed = chunks(await (await chat(upstream, { ...PROMPT, stream: true })).text());
    const deltas = parsed.map((chunk) => chunk.choices[0]?.delta ?? {});
    assert.deepEqual(deltas.slice(1, 4), [{ reasoning: 'First' }, { reasoning: ' I' }, { reasoning: ' read' }]);
    assert.equal(contentOf(parsed.slice(4, 9)), EXPECTED_TEXT);
    assert.ok(deltas.every((delta) => !('reasoning_content' in delta)));
  });

  test('answers stream:false with one chat.completion object', async () => {
    await upstream.admin.setOptions({ reasoningChunks: 2 });
    const response = await chat(upstream, PROMPT);
    assert.equal(response.headers.get('content-type'), 'application/json');
    const body = (await response.json()) as Completion;
    assert.equal(body.object, 'chat.completion');
    assert.deepEqual(body.choices, [
      {
        index: 0,
        message: { role: 'assistant', content: EXPECTED_TEXT, reasoning_content: 'First I', refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ]);
    assert.deepEqual(body.usage.completion_tokens_details, { reasoning_tokens: 2 });
  });

  test('an unknown model gets 404 with code model_not_found', async () => {
    const response = await chat(upstream, { ...PROMPT, model: 'gpt-nope', stream: true });
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), {
      error: { message: 'The model `gpt-nope` does not exist', type: 'invalid_request_error', param: null, code: 'model_not_found' },
    });
  });

  test('bad JSON and a missing messages field get 400 OpenAI errors', async () => {
    const badJson = await chat(upstream, '{"model":');
    assert.equal(badJson.status, 400);
    assert.equal(((await badJson.json()) as ErrorBody).error.code, 'invalid_json');
    const noMessages = await chat(upstream, { model: 'mock-model' });
    assert.equal(noMessages.status, 400);
    assert.deepEqual(await noMessages.json(), {
      error: {
        message: "Missing required parameter: 'messages'.",
        type: 'invalid_request_error',
        param: 'messages',
        code: 'missing_required_parameter',
      },
    });
  });

  test('failStatus 429 answers with Retry-After and an OpenAI error body', async () => {
    await upstream.admin.setOptions({ failStatus: 429, retryAfterSeconds: 2 });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const response = await chat(upstream, { ...PROMPT, stream: true });
      assert.equal(response.status, 429);
      assert.equal(response.headers.get('retry-after'), '2');
      assert.deepEqual(await response.json(), {
        error: {
          message: 'Rate limit reached for requests. Please try again later.',
          type: 'requests',
          param: null,
          code: 'rate_limit_exceeded',
        },
      });
    }
  });

  test('faultTimes=1 makes only the next chat request fail', async () => {
    await upstream.admin.setOptions({ failStatus: 503, faultTimes: 1 });
    assert.equal((await chat(upstream, PROMPT)).status, 503);
    const second = await chat(upstream, PROMPT);
    assert.equal(second.status, 200);
    assert.equal(((await second.json()) as Completion).choices[0]?.message.content, EXPECTED_TEXT);
    const recorded = await upstream.admin.requests();
    assert.deepEqual(recorded.map((request) => request.fault), ['status', undefined]);
  });

  test('dropAfter destroys the socket after N chunks, without [DONE]', async () => {
    await upstream.admin.setOptions({ dropAfter: 2 });
    const response = await chat(upstream, { ...PROMPT, stream: true });
    assert.equal(response.status, 200);
    const { text, error } = await readAll(response);
    assert.ok(error instanceof Error, 'reading the body fails');
    assert.equal(chunks(text).length, 2);
    assert.ok(!text.includes('[DONE]'));
    const [recorded] = await upstream.admin.requests();
    assert.equal(recorded!.fault, 'drop');
    assert.equal(recorded!.aborted, false);
    assert.equal(recorded!.completed, false);
  });

  test('stallAfter stops sending after N chunks but keeps the socket open', async () => {
    await upstream.admin.setOptions({ stallAfter: 2 });
    const controller = new AbortController();
    const response = await chat(upstream, { ...PROMPT, stream: true }, { signal: controller.signal });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (events(text).length < 2) text += decoder.decode((await reader.read()).value);
    const next = reader.read().then(() => 'data', () => 'closed');
    const idle = new Promise((resolve) => setTimeout(resolve, 300, 'idle'));
    assert.equal(await Promise.race([next, idle]), 'idle');
    assert.equal(chunks(text).length, 2);
    controller.abort();
    await next;
    const recorded = await eventually(() => upstream.admin.requests(), (list) => list[0]?.aborted === true);
    assert.equal(recorded[0]!.fault, 'stall');
    assert.equal(recorded[0]!.aborted, true);
  });

  test('malformedAfter sends an unparsable data line and ends the response', async () => {
    await upstream.admin.setOptions({ malformedAfter: 1 });
    const text = await (await chat(upstream, { ...PROMPT, stream: true })).text();
    const list = events(text);
    assert.equal(list.length, 2);
    assert.equal(chunks(list[0]!)[0]?.choices[0]?.delta.role, 'assistant');
    assert.equal(list[1], 'data: {not json');
    assert.throws(() => JSON.parse(list[1]!.slice('data: '.length)) as unknown, SyntaxError);
  });

  test('a client abort mid-stream is recorded as aborted, not completed', async () => {
    await upstream.admin.setOptions({ tokenRate: 20 });
    const controller = new AbortController();
    const response = await chat(upstream, { ...PROMPT, stream: true }, { signal: controller.signal });
    await response.body!.getReader().read();
    controller.abort();
    const recorded = await eventually(() => upstream.admin.requests(), (list) => list[0]?.aborted === true);
    assert.equal(recorded[0]!.aborted, true);
    assert.equal(recorded[0]!.completed, false);
    assert.deepEqual(recorded[0]!.body, { ...PROMPT, stream: true });
  });

  test('ttftMs delays the whole response, headers included', async () => {
    await upstream.admin.setOptions({ ttftMs: 400 });
    const started = performance.now();
    const response = await chat(upstream, { ...PROMPT, stream: true });
    assert.ok(performance.now() - started >= 380, 'headers arrive after ttftMs');
    assert.equal(chunks(await response.text()).length, 7);
  });

  test('tokenRate paces the chunks', async () => {
    await upstream.admin.setOptions({ tokenRate: 40 });
    const started = performance.now();
    const text = await (await chat(upstream, { ...PROMPT, stream: true })).text();
    // 7 chunks and [DONE] at 25 ms intervals: the last chunk is due 150 ms after the first.
    assert.ok(performance.now() - started >= 140);
    assert.equal(chunks(text).length, 7);
  });

  test('keeps the connection alive between requests', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (): Promise<boolean> =>
      new Promise((resolve, reject) => {
        const request = httpRequest(`${upstream.url}/models`, { agent }, (response) => {
          assert.equal(response.headers.connection, 'keep-alive');
          response.resume().on('end', () => resolve(request.reusedSocket));
        });
        request.on('error', reject).end();
      });
    assert.equal(await get(), false);
    assert.equal(await get(), true);
    agent.destroy();
  });

  test('reset restores the startup options and clears the recorded requests', async () => {
    const changed = await upstream.admin.setOptions({ chunkCount: 9, failStatus: 500 });
    assert.equal(changed.chunkCount, 9);
    await chat(upstream, PROMPT);
    assert.equal((await upstream.admin.requests()).length, 1);
    await upstream.admin.reset();
    assert.deepEqual(await upstream.admin.requests(), []);
    const response = await chat(upstream, PROMPT);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as Completion).choices[0]?.message.content, EXPECTED_TEXT);
  });

  test('rejects invalid option patches with 400', async () => {
    await assert.rejects(upstream.admin.setOptions({ port: 1 }), /answered 400.*cannot change while running/);
    await assert.rejects(upstream.admin.setOptions({ tokenRate: -1 }), /answered 400.*tokenRate/);
  });

  test('answers unknown routes with a 404 JSON error', async () => {
    const response = await fetch(`${upstream.url}/embeddings`, { method: 'POST', body: '{}' });
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as ErrorBody).error.code, 'not_found');
  });
});

describe('mock upstream, --api-key', () => {
  let upstream: MockUpstreamProcess;
  before(async () => {
    upstream = await spawnMockUpstream(['--api-key', 'sk-test']);
  });
  after(() => upstream.stop());

  test('answers 401 with an OpenAI error body when the bearer key is missing or wrong', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer sk-wrong' }];
    for (const headers of attempts) {
      const response = await chat(upstream, PROMPT, { headers: { 'content-type': 'application/json', ...headers } });
      assert.equal(response.status, 401);
      const body = (await response.json()) as ErrorBody;
      assert.equal(body.error.type, 'invalid_request_error');
      assert.equal(body.error.code, 'invalid_api_key');
    }
    const ok = await chat(upstream, PROMPT, { headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' } });
    assert.equal(ok.status, 200);
  });
});

describe('mock upstream, --replay', () => {
  const openaiFile = `${FIXTURES}openai-text.chunks.txt`;
  const lines = readFileSync(openaiFile, 'utf8').split('\n').filter((line) => line !== '');
  const parsedLines = lines.map((line) => JSON.parse(line) as Chunk);
  const expectedText = contentOf(parsedLines);
  let upstream: MockUpstreamProcess;
  before(async () => {
    upstream = await spawnMockUpstream(['--replay', openaiFile]);
  });
  after(() => upstream.stop());
  beforeEach(() => upstream.admin.reset());

  test('replays a recorded file verbatim, for any model, then [DONE]', async () => {
    const response = await chat(upstream, { model: 'anything', messages: [], stream: true });
    const text = await response.text();
    assert.equal(text, `${lines.map((line) => `data: ${line}\n\n`).join('')}data: [DONE]\n\n`);
    const streamed = contentOf(chunks(text));
    assert.equal(streamed, expectedText);
    assert.ok(streamed.startsWith('**Holiday Name:** Harmony Day'));
  });

  test('assembles the recorded deltas into one completion for stream:false', async () => {
    const body = (await (await chat(upstream, { model: 'anything', messages: [] })).json()) as Completion;
    assert.equal(body.object, 'chat.completion');
    assert.equal(body.model, 'gpt-4.1-nano-2025-04-14');
    assert.equal(body.choices[0]?.message.content, expectedText);
    assert.equal(body.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(body.usage, parsedLines.at(-1)!.usage);
  });

  test('replays anthropic-* files as Anthropic events without [DONE]', async () => {
    const file = `${FIXTURES}anthropic-text.chunks.txt`;
    await upstream.admin.setOptions({ replayFile: file });
    const anthropicLines = readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
    const response = await fetch(`${upstream.url}/messages`, {
      method: 'POST',
      body: JSON.stringify({ model: 'claude', messages: [], stream: true }),
    });
    const expected = anthropicLines.map((line) => `event: ${(JSON.parse(line) as { type: string }).type}\ndata: ${line}\n\n`).join('');
    assert.equal(await response.text(), expected);
  });
});

describe('mock upstream, command-line flags', () => {
  test('--fail-status 429 --retry-after 7 --fault-times 1 fails only the first request', async () => {
    const upstream = await spawnMockUpstream(['--fail-status', '429', '--retry-after', '7', '--fault-times', '1']);
    try {
      const first = await chat(upstream, PROMPT);
      assert.equal(first.status, 429);
      assert.equal(first.headers.get('retry-after'), '7');
      assert.equal((await chat(upstream, PROMPT)).status, 200);
    } finally {
      assert.equal(await upstream.stop(), 0);
    }
  });

  test('rejects a non-numeric flag value and exits', async () => {
    await assert.rejects(spawnMockUpstream(['--chunks', 'many']), /exited with 1.*--chunks.*expected an integer/s);
  });
});
