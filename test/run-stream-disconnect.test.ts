/**
 * How an SSE stream stops reading its run (http/streaming/run-stream.ts): the
 * signal that stops a reader belongs to the connection, so a keep-alive
 * connection's next stream is read in full, and a client that leaves while its
 * reader waits for the run's next event frees the reader at once, not at the
 * run's next event.
 */
import assert from 'node:assert/strict';
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { streamRunSse } from '../src/http/streaming/run-stream.js';
import { statelessView } from '../src/http/streaming/stream-view.js';
import { MemoryRunEventLog } from '../src/runs/event-log.js';
import type { RunEvent } from '../src/runs/events.js';

const usage = { prompt_tokens: 1, completion_tokens: 1, reasoning_tokens: 0, cached_tokens: 0 };
const view = statelessView((event) => ({ data: event.type === 'message.delta' ? event.text : event.type }), { resume: 'event', earlyFailure: 'event' });

let app: FastifyInstance;
let origin: string;
const log = new MemoryRunEventLog(60);
/** Readers of the log that stopped, by run id. */
const released: string[] = [];

before(async () => {
  app = Fastify();
  const runs = {
    events: (runId: string, afterSeq: number, signal?: AbortSignal) => {
      const events = log.read(runId, afterSeq, signal);
      return (async function* (): AsyncGenerator<readonly RunEvent[]> {
        try {
          yield* events;
        } finally {
          released.push(runId);
        }
      })();
    },
  };
  app.get<{ Params: { run: string } }>('/runs/:run', (request, reply) => streamRunSse(reply, runs, request.params.run, view));
  await app.listen({ port: 0, host: '127.0.0.1' });
  origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

after(() => app.close());

/** Starts a stream of `runId`; resolves with the response once its headers arrived, and whether it reused a connection. */
function open(runId: string, agent: Agent): Promise<IncomingMessage & { reused: boolean }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${origin}/runs/${runId}`, { agent }, (response) => resolve(Object.assign(response, { reused: request.reusedSocket })));
    request.on('error', reject).end();
  });
}

/** The body of `response` as text. */
async function text(response: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of response.setEncoding('utf8')) body += chunk as string;
  return body;
}

/** Resolves once `check` holds, polling; rejects after `ms`. */
async function until(check: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('SSE stream reading a run', () => {
  test('a keep-alive connection reads its second stream in full, events arriving while it waits', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const [index, runId] of ['keep-1', 'keep-2'].entries()) {
        log.append(runId, { type: 'message.delta', text: 'a' });
        const response = await open(runId, agent);
        assert.equal(response.statusCode, 200);
        const body = text(response);
        // The reader waits for these, with the connection's signal.
        await until(() => !released.includes(runId));
        await new Promise((resolve) => setTimeout(resolve, 20));
        log.append(runId, { type: 'message.delta', text: 'b' });
        log.append(runId, { type: 'run.completed', message_id: null, finish_reason: 'stop', usage });
        assert.equal(await body, `id: ${runId}:1\ndata: a\n\nid: ${runId}:2\ndata: b\n\nid: ${runId}:3\ndata: run.completed\n\n`);
        assert.equal(response.reused, index === 1);
      }
    } finally {
      agent.destroy();
    }
  });

  test('a client that leaves while its reader waits frees the reader without a further event, and the run goes on', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    log.append('gone', { type: 'message.delta', text: 'a' });
    const response = await open('gone', agent);
    const first = await new Promise<string>((resolve) => response.setEncoding('utf8').once('data', resolve));
    assert.equal(first, 'id: gone:1\ndata: a\n\n');
    assert.equal(released.includes('gone'), false);
    agent.destroy();
    await until(() => released.includes('gone'));
    // Nobody reads the run any more, but it still takes events.
    assert.notEqual(log.append('gone', { type: 'run.completed', message_id: null, finish_reason: 'stop', usage }), undefined);
  });
});
