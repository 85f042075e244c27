import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { spawnServer } from './helpers/server-process.js';
import { collectSse } from './helpers/sse.js';
import { censorHeaders, REDACTION } from '../src/observability/logging.js';

const KEY = 'obs-client-key-5d1e9c';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function assertProcessTime(headers: Headers): void {
  const value = headers.get('x-process-time');
  assert.match(value ?? '', /^\d+\.\d{6}$/, `x-process-time is seconds: ${value}`);
  assert.ok(Number(value) < 10);
}

describe('X-Request-ID and X-Process-Time', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley({ API_KEYS: KEY });
  });
  after(() => server.stop());

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers: { 'x-api-key': KEY, ...headers } });

  test('echoes a well-formed client request id', async () => {
    for (const id of ['abc-123', 'trace.0af7651916cd43dd8448eb211c80319c', 'A'.repeat(128), '01HZX3Y_Z']) {
      const response = await get('/models', { 'x-request-id': id });
      assert.equal(response.headers.get('x-request-id'), id);
      await response.arrayBuffer();
    }
  });

  test('generates a UUID when none is sent, and replaces malformed ones', async () => {
    const generated = await get('/health');
    assert.match(generated.headers.get('x-request-id') ?? '', UUID);
    for (const bad of ['A'.repeat(129), 'has space', 'semi;colon', 'quote"d', 'é-accent', '']) {
      const response = await get('/health', { 'x-request-id': bad });
      const id = response.headers.get('x-request-id') ?? '';
      assert.match(id, UUID, `${JSON.stringify(bad)} was replaced`);
    }
    const first = await get('/health');
    const second = await get('/health');
    assert.notEqual(first.headers.get('x-request-id'), second.headers.get('x-request-id'));
  });

  test('every kind of response carries both headers: JSON, 404, 401, validation error, event stream', async () => {
    const responses = [
      await get('/models', { 'x-request-id': 'kind-json' }),
      await get('/no/such/route', { 'x-request-id': 'kind-404' }),
      await fetch(`${server.url}/models`, { headers: { 'x-request-id': 'kind-401' } }),
      await get('/usage?from=nope', { 'x-request-id': 'kind-400' }),
    ];
    assert.deepEqual(
      responses.map((response) => response.status),
      [200, 404, 401, 400],
    );
    for (const [index, response] of responses.entries()) {
      assert.equal(response.headers.get('x-request-id'), ['kind-json', 'kind-404', 'kind-401', 'kind-400'][index]);
      assertProcessTime(response.headers);
    }
    const stream = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'x-request-id': 'kind-sse' },
      body: JSON.stringify({ model: 'mock-model', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(stream.headers.get('x-request-id'), 'kind-sse');
    assertProcessTime(stream.headers);
    await collectSse(stream);
  });
});

/** A pino log line, with the fields the tests read. */
interface LogLine {
  level: number;
  msg?: string;
  reqId?: string;
  req?: { url: string };
  res?: unknown;
  responseTime?: unknown;
  model?: string;
  surface?: string;
  outcome?: string;
  prompt?: string;
}

/** Parsed JSON log lines; fails on any line that is not JSON. */
function logLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        assert.fail(`log line is not JSON: ${line}`);
      }
    });
}

const PROMPT = 'zebra quartz prompt 4417';
const CONVERSATION_PROMPT = 'okapi basalt prompt 9932';

/** Runs a server process, sends traffic that carries secrets and prompts, and returns its log lines. */
async function trafficLogs(environment: Record<string, string>): Promise<LogLine[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-logs-'));
  const server = await spawnServer({
    API_KEYS: KEY,
    PARLEY_HOST: '127.0.0.1',
    PARLEY_DATA_DIR: dataDir,
    PARLEY_MOCK_CHUNK_DELAY_MS: '1',
    PARLEY_RATE_LIMIT_IP_PER_MINUTE: '0',
    PARLEY_RATE_LIMIT_KEY_PER_MINUTE: '0',
    ...environment,
  });
  try {
    const completion = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, 'x-request-id': 'log-openai', cookie: 'session=cookie-secret-77' },
      body: JSON.stringify({ model: 'mock-model', stream: true, messages: [{ role: 'user', content: PROMPT }] }),
    });
    assert.equal(completion.status, 200);
    await collectSse(completion);
    assert.equal((await requestJson(`${server.url}/health?api_key=${KEY}&probe=1`, { headers: { 'x-request-id': 'log-query-key' } })).status, 200);
    assert.equal((await requestJson(`${server.url}/models`, { headers: { authorization: 'Bearer wrong-key-31337', 'x-request-id': 'log-bad-key' } })).status, 403);
    const headers = { 'x-api-key': KEY };
    const conversation = (await requestJson(`${server.url}/conversations`, { headers, body: {} })).body;
    await requestJson(`${server.url}/conversations/${conversation.id}/messages`, { headers, body: { message: CONVERSATION_PROMPT } });
    await collectSse(await fetch(`${server.url}/conversations/${conversation.id}/stream`, { headers: { ...headers, 'x-request-id': 'log-stream' } }));
  } finally {
    assert.equal(await server.stop(), 0);
    rmSync(dataDir, { recursive: true, force: true });
  }
  return logLines(server.output());
}

function assertNoSecrets(lines: LogLine[], allowedPromptLines: (line: LogLine) => boolean): void {
  for (const line of lines) {
    const text = JSON.stringify(line);
    for (const secret of [KEY, 'wrong-key-31337', 'cookie-secret-77', 'Bearer']) assert.ok(!text.includes(secret), `a log line carries ${secret}: ${text}`);
    if (!allowedPromptLines(line)) {
      assert.ok(!text.includes(PROMPT) && !text.includes(CONVERSATION_PROMPT), `a log line carries prompt text: ${text}`);
    }
  }
}

function assertRequestIds(lines: LogLine[], level: 'info' | 'debug'): void {
  const messagesOf = (id: string) => lines.filter((line) => line.reqId === id).map((line) => line.msg);
  for (const id of ['log-openai', 'log-stream']) {
    const messages = messagesOf(id);
    for (const expected of [...(level === 'debug' ? ['run started'] : []), 'run finished', 'request completed']) {
      assert.ok(messages.includes(expected), `${id}: "${expected}" carries the request id (got ${messages.join(', ')})`);
    }
    if (level === 'info') assert.ok(!messages.includes('run started'), `${id}: run started is logged at debug only`);
  }
  const runFinished = lines.find((line) => line.reqId === 'log-openai' && line.msg === 'run finished');
  assert.equal(runFinished?.model, 'mock-model');
  assert.equal(runFinished?.surface, 'openai');
  assert.equal(runFinished?.outcome, 'completed');
  assert.ok(messagesOf('log-bad-key').includes('request completed'));
  // Every line about a request names it.
  for (const line of lines.filter((entry) => entry.req !== undefined || entry.res !== undefined)) assert.ok(line.reqId, JSON.stringify(line));
  // One line per request at info: the completion line names the request (redacted URL) and its outcome.
  const queryKey = lines.find((line) => line.reqId === 'log-query-key' && line.msg === 'request completed');
  assert.equal(queryKey?.req?.url, '/health?api_key=[REDACTED]&probe=1');
  assert.deepEqual(queryKey?.res, { statusCode: 200 });
  assert.equal(typeof queryKey?.responseTime, 'number');
  const incoming = lines.filter((line) => line.msg === 'incoming request');
  if (level === 'info') assert.deepEqual(incoming, [], 'incoming request is logged at debug only');
  else assert.ok(incoming.some((line) => line.reqId === 'log-query-key' && line.level === 20 && line.req?.url === '/health?api_key=[REDACTED]&probe=1'));
}

describe('logs', () => {
  test('a logged headers object has its credentials censored, in a copy', () => {
    const headers = { authorization: `Bearer ${KEY}`, 'x-api-key': KEY, cookie: 'session=1', 'set-cookie': 'a=b', accept: 'application/json' };
    assert.deepEqual(censorHeaders(headers), { authorization: REDACTION, 'x-api-key': REDACTION, cookie: REDACTION, 'set-cookie': REDACTION, accept: 'application/json' });
    assert.equal(headers.authorization, `Bearer ${KEY}`);
    const plain = { accept: 'text/plain' };
    assert.equal(censorHeaders(plain), plain);
  });

  test('at info: JSON lines with request ids, no keys, cookies or prompt text', async () => {
    const lines = await trafficLogs({ LOG_LEVEL: 'info' });
    assertRequestIds(lines, 'info');
    assertNoSecrets(lines, () => false);
    assert.ok(lines.every((line) => line.level >= 30));
  });

  test('at debug without PARLEY_LOG_PROMPTS: still no prompt text', async () => {
    const lines = await trafficLogs({ LOG_LEVEL: 'debug' });
    assertNoSecrets(lines, () => false);
  });

  test('PARLEY_LOG_PROMPTS=true logs the user text at debug, with the request id', async () => {
    const lines = await trafficLogs({ LOG_LEVEL: 'debug', PARLEY_LOG_PROMPTS: 'true' });
    assertRequestIds(lines, 'debug');
    const isPromptLine = (line: LogLine) => line.msg === 'run prompt' && line.level === 20;
    assertNoSecrets(lines, isPromptLine);
    const prompts = lines.filter(isPromptLine);
    assert.deepEqual(
      prompts.map((line) => [line.reqId, line.prompt]),
      [
        ['log-openai', PROMPT],
        ['log-stream', CONVERSATION_PROMPT],
      ],
    );
  });
});
