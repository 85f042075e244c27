// The SSE writer on a real listening server: keep-alive comments come from one
// shared timer and only to idle streams, the response's close reaches the
// watcher and `onClose` once, and a stream ended by the server does not call `onClose`.
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SseWriter, watchSseResponse, type SseWriterOptions } from '../src/http/streaming/sse.js';

const KEEP_ALIVE_MS = 60;

/** What the server side of one stream saw. */
interface ServerSide {
  writer: SseWriter;
  events: string[];
}

let server: Server;
let port = 0;
/** The next stream's server side, set by the request handler. */
let nextStream: (side: ServerSide) => void = () => {};

before(async () => {
  server = createServer((_request: IncomingMessage, response: ServerResponse) => {
    const events: string[] = [];
    watchSseResponse(response, { headers: (tag: string) => ({ 'x-watch-tag': tag }), opened: (tag) => events.push(`opened ${tag}`), closed: (tag) => events.push(`closed ${tag}`) }, 'a');
    const options: SseWriterOptions = { keepAliveMs: KEEP_ALIVE_MS, onClose: () => events.push('onClose') };
    nextStream({ writer: new SseWriter(response, options), events });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Opens a stream; resolves with the client response, its received text so far (live), and the server side. */
async function openStream(): Promise<{ response: IncomingMessage; text: () => string; side: ServerSide }> {
  const sideReady = new Promise<ServerSide>((resolve) => (nextStream = resolve));
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/' }, resolve).on('error', reject).end();
  });
  let received = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => (received += chunk));
  response.on('error', () => {});
  return { response, text: () => received, side: await sideReady };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('SseWriter', () => {
  test('an idle stream gets keep-alive comments; the watcher sees the headers and the open', async () => {
    const { response, text, side } = await openStream();
    assert.equal(response.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(response.headers['x-watch-tag'], 'a');
    assert.deepEqual(side.events, ['opened a']);
    await until(() => text().includes(': keep-alive\n\n'));
    side.writer.end();
    await new Promise((resolve) => response.on('end', resolve));
  });

  test('a stream that writes gets no keep-alives while it writes; an idle one beside it does', async () => {
    const idle = await openStream();
    const busy = await openStream();
    const stopAt = Date.now() + KEEP_ALIVE_MS * 6;
    while (Date.now() < stopAt) {
      await busy.side.writer.write('data: x\n\n');
      // Well within the half interval the group ticks at.
      await sleep(5);
    }
    await until(() => idle.text().includes(': keep-alive'));
    const busyText = busy.text();
    assert.ok(busyText.startsWith('data: x\n\n'));
    // A tick can only catch the busy stream idle if the event loop stalled for half an interval.
    assert.ok(busyText.split(': keep-alive').length - 1 <= 1, busyText);
    idle.side.writer.end();
    busy.side.writer.end();
  });

  test('a client that leaves closes the writer once: watcher closed, onClose, no more keep-alives', async () => {
    const { response, side } = await openStream();
    response.destroy();
    await until(() => side.events.includes('onClose'));
    assert.deepEqual(side.events, ['opened a', 'closed a', 'onClose']);
    assert.equal(side.writer.closed, true);
    assert.equal(side.writer.write('data: late\n\n'), false);
  });

  test('a stream ended by the server does not call onClose, but the watcher sees it close', async () => {
    const { response, side } = await openStream();
    side.writer.end();
    await new Promise((resolve) => response.on('end', resolve));
    await until(() => side.events.includes('closed a'));
    assert.deepEqual(side.events, ['opened a', 'closed a']);
  });
});
