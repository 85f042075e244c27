import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ChatSocket } from './helpers/chat-socket.js';
import { startParley, type RunningParley } from './helpers/parley.js';

describe('WebSocket guard rails', () => {
  let server: RunningParley;
  const socketUrl = () => `${server.url.replace('http', 'ws')}/ws/chat`;
  before(async () => {
    server = await startParley({ API_KEYS: 'k1,k2', PARLEY_RATE_LIMIT_IP_PER_MINUTE: '2', PARLEY_RATE_LIMIT_KEY_PER_MINUTE: '100', CORS_ORIGINS: 'https://app.example' });
  });
  after(() => server.stop());

  test('task starts over the socket count against the chat rate limit like HTTP ones', async () => {
    const socket = await ChatSocket.open(socketUrl(), { headers: { 'x-api-key': 'k1' } });
    for (const text of ['one', 'two']) {
      socket.send({ message: text, user_id: `limit-${text}` });
      await socket.next((message) => message.type === 'complete');
    }
    socket.send({ message: 'three', user_id: 'limit-three' });
    const refused = await socket.next((message) => message.type === 'error');
    assert.equal(refused.code, 'rate_limited');
    const other = await ChatSocket.open(socketUrl(), { headers: { 'x-api-key': 'k2' } });
    other.send({ message: 'other key', user_id: 'limit-other' });
    assert.equal((await other.next((message) => message.type === 'complete' || message.type === 'error')).type, 'complete');
    socket.close();
    other.close();
  });

  test('a page from an origin outside CORS_ORIGINS is refused with 1008; a listed one connects', async () => {
    const stranger = await ChatSocket.open(socketUrl(), { headers: { 'x-api-key': 'k1', origin: 'https://evil.example' } });
    const refused = await stranger.next((message) => message.type === 'error');
    assert.equal(refused.code, 'forbidden_origin');
    assert.equal((await stranger.closed).code, 1008);
    const friend = await ChatSocket.open(socketUrl(), { headers: { 'x-api-key': 'k2', origin: 'https://app.example' } });
    friend.send({ type: 'ping' });
    assert.equal((await friend.next((message) => message.type === 'pong')).type, 'pong');
    friend.close();
  });
});
