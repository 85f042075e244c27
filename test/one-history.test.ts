// One history across surfaces (DESIGN.md "HTTP surfaces"): a seed session_id /
// user_id is the caller's conversation with that external id, whichever surface
// writes to it or reads it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { countWords } from '../src/providers/mock/script.js';
import { conversationsOf, historyOf } from './helpers/history.js';
import { mockAnswer } from './helpers/mock-answer.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { collectSse } from './helpers/sse.js';

/** Rate limits off: these tests send many chat requests from one address on purpose. */
const NO_RATE_LIMITS = { PARLEY_RATE_LIMIT_IP_PER_MINUTE: '0', PARLEY_RATE_LIMIT_KEY_PER_MINUTE: '0' };
const SYSTEM_PROMPT = 'You are a terse assistant.';

/** The built-in mock's prompt_tokens for a request: words + 4 per message. */
function promptTokens(contents: string[]): number {
  return contents.reduce((sum, content) => sum + countWords(content) + 4, 0);
}

describe('one history across surfaces', () => {
  let server: RunningParley;
  before(async () => {
    server = await startParley({ ...NO_RATE_LIMITS, SYSTEM_PROMPT });
  });
  after(() => server.stop());

  test('seed 003 POST /chat, then the conversations API, then seed 004 continue one ordered conversation', async () => {
    const sessionId = 'shared-X';
    const turns = ['first, from seed 003', 'second, from the conversations API', 'third, from seed 004'];

    // Seed 003 starts the session.
    const plain = await collectSse(
      await fetch(`${server.url}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: turns[0], session_id: sessionId }),
      }),
    );
    assert.equal(plain.slice(0, -1).map((event) => event.data).join(''), mockAnswer(turns[0]!));

    // The conversations API lists it, and continues it.
    const listed = await conversationsOf(server.url);
    assert.equal(listed.length, 1);
    const conversationId = listed[0]!.id;
    assert.equal(listed[0]!.message_count, 2);
    const sent = await requestJson(`${server.url}/conversations/${conversationId}/messages`, { body: { message: turns[1] } });
    assert.equal(sent.status, 200);
    const streamed = await collectSse(await fetch(`${server.url}/conversations/${conversationId}/stream`));
    const streamedText = streamed
      .filter((event) => event.event === undefined)
      .map((event) => (JSON.parse(event.data) as { content?: string }).content ?? '')
      .join('');
    assert.equal(streamedText, mockAnswer(turns[1]!));

    // Seed 004 continues it under the same id, and lists all three exchanges.
    const json = await collectSse(
      await fetch(`${server.url}/api/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user_id: sessionId, message: turns[2] }),
      }),
    );
    assert.equal(json.at(-1)?.data, '[DONE]');
    const history = await historyOf(server.url, sessionId);
    assert.equal(history.count, 3);
    assert.deepEqual(
      history.history.map((entry) => [entry.user_message, entry.assistant_response]),
      turns.map((turn) => [turn, mockAnswer(turn)]),
    );

    // Still one conversation, its six messages in order.
    const after = await conversationsOf(server.url);
    assert.deepEqual(
      after.map((conversation) => [conversation.id, conversation.message_count]),
      [[conversationId, 6]],
    );
    const messages = (await requestJson(`${server.url}/conversations/${conversationId}/messages`)).body.messages as {
      role: string;
      content: string;
      status: string;
      usage?: { prompt_tokens: number };
    }[];
    const expected = turns.flatMap((turn) => [
      ['user', turn],
      ['assistant', mockAnswer(turn)],
    ]);
    assert.deepEqual(
      messages.map((message) => [message.role, message.content]),
      expected,
    );
    // Each answer was generated with everything before it as context, whichever surface asked.
    for (const [index, message] of messages.entries()) {
      if (message.role !== 'assistant') continue;
      const context = [SYSTEM_PROMPT, ...messages.slice(0, index).map((earlier) => earlier.content)];
      assert.equal(message.usage?.prompt_tokens, promptTokens(context), `answer ${index}`);
    }
  });
});
