/**
 * The minimal relay `npm run bench` measures Parley against: the floor for a
 * Node gateway. `POST /v1/chat/completions` goes to the upstream over a
 * keep-alive undici Pool; a streamed answer is parsed with eventsource-parser
 * and every chunk is JSON-parsed and re-serialized before it is written on; a
 * `stream: false` request asks the upstream for JSON and re-serializes that.
 *
 * Usage: `node --import tsx bench/relay.ts --upstream http://127.0.0.1:PORT/v1 [--port 0]`;
 * prints `relay listening on http://127.0.0.1:PORT`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createParser } from 'eventsource-parser';
import { Pool } from 'undici';

const { values } = parseArgs({ options: { upstream: { type: 'string' }, port: { type: 'string', default: '0' } } });
const upstream = new URL(values.upstream ?? 'http://127.0.0.1:8787/v1');
const path = `${upstream.pathname.replace(/\/$/, '')}/chat/completions`;
const pool = new Pool(upstream.origin, { connections: 1024, pipelining: 1, keepAliveTimeout: 30_000 });

const server = createServer((request, response) => {
  const abort = new AbortController();
  response.once('close', () => abort.abort());
  const relay = async (): Promise<void> => {
    let body = '';
    for await (const chunk of request.setEncoding('utf8')) body += chunk as string;
    const chat = JSON.parse(body) as { stream?: boolean };
    const answer = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body, signal: abort.signal });
    if (chat.stream !== true) {
      const text = JSON.stringify(await answer.body.json());
      response.writeHead(answer.statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
      return;
    }
    response.writeHead(answer.statusCode, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const decoder = new TextDecoder();
    const parser = createParser({
      onEvent: ({ data }) => response.write(data === '[DONE]' ? 'data: [DONE]\n\n' : `data: ${JSON.stringify(JSON.parse(data))}\n\n`),
    });
    for await (const chunk of answer.body) parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
    response.end();
  };
  relay().catch(() => (response.headersSent ? response.destroy() : response.writeHead(502).end()));
});
server.keepAliveTimeout = 65_000;
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`relay listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => void pool.close().then(() => process.exit(0)));
});
