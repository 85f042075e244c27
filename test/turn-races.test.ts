import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';

/** A moderation endpoint that says "not flagged" after 200 ms: it widens the window a race needs. */
async function slowModeration(): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () =>
      setTimeout(() => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results: [{ flagged: false }] })), 200),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/moderations`, server };
}

describe('turns in one conversation', () => {
  let moderation: Awaited<ReturnType<typeof slowModeration>>;
  let server: RunningParley;
  before(async () => {
    moderation = await slowModeration();
    server = await startParley({ PARLEY_MODERATION_URL: moderation.url });
  });
  after(async () => {
    await server.stop();
    moderation.server.close();
  });

  test('concurrent turns for one user: exactly one is answered, the others are 409 and store nothing', async () => {
    const responses = await Promise.all(
      ['one', 'two', 'three', 'four'].map((message) => requestJson(`${server.url}/api/chat/simple`, { body: { user_id: 'racer', message } })),
    );
    assert.deepEqual(responses.map((response) => response.status).sort(), [200, 409, 409, 409]);
    const history = (await requestJson(`${server.url}/api/chat/history/racer`)).body;
    assert.equal(history.count, 1);
  });

  test('a turn refused for its model stores no message', async () => {
    const refused = await requestJson(`${server.url}/chat/start`, { body: { user_id: 'bad-model', message: 'first question', model: 'mock:' } });
    assert.equal(refused.status, 400);
    const conversations = (await requestJson(`${server.url}/conversations`)).body.conversations;
    const conversation = conversations.find((item: { external_id: string }) => item.external_id === 'bad-model');
    const messages = conversation === undefined ? [] : (await requestJson(`${server.url}/conversations/${conversation.id}/messages`)).body.messages;
    assert.deepEqual(messages, []);
  });
});
