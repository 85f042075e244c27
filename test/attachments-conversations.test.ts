/**
 * Attachments in the conversations API: `POST /conversations/{id}/messages`
 * with `attachments` stores them with the message (in the database), `GET
 * …/messages` shows them back, and every answer of the conversation sends them
 * to a real OpenAI-mode mock upstream as content parts, before the text, bytes
 * unchanged. Refusals store nothing.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ATTACHMENT_BYTES, base64Of } from './helpers/attachments.js';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { collectSse } from './helpers/sse.js';

const png = base64Of(ATTACHMENT_BYTES.png);
const pdf = base64Of(ATTACHMENT_BYTES.pdf);

let upstream: MockUpstreamProcess;
let server: RunningParley;

/** The user messages of each chat request the upstream received (the persona's system prompt left out). */
async function upstreamMessages(): Promise<unknown[][]> {
  const requests = (await upstream.admin.requests()).filter((request) => request.path === '/v1/chat/completions');
  return requests.map((request) => (request.body as { messages: { role: string }[] }).messages.filter((message) => message.role === 'user'));
}

async function answer(conversationId: string): Promise<void> {
  const events = await collectSse(await fetch(`${server.url}/conversations/${conversationId}/stream`));
  assert.equal(JSON.parse(events.at(-1)!.data).done, true);
}

before(async () => {
  upstream = await spawnMockUpstream(['--ttft-ms', '0', '--token-rate', '0', '--chunks', '3']);
  server = await startParley({ PARLEY_PROVIDER_BASE_URL: upstream.url, PARLEY_UPSTREAM_RETRIES: '0', PARLEY_MAX_ATTACHMENT_BYTES: '2048' });
});
after(async () => {
  await server.stop();
  await upstream.stop();
});
beforeEach(() => upstream.admin.reset());

describe('conversation messages with attachments', () => {
  test('are stored, listed back, and sent upstream on this turn and the next', async () => {
    const conversation = (await requestJson(`${server.url}/conversations`, { body: { default_model: 'mock-model' } })).body;
    const attachments = [
      { url: `data:image/png;base64,${png}` },
      { url: 'https://images.example/diagram.webp' },
      { url: `data:application/pdf;base64,${pdf}`, filename: 'report.pdf' },
    ];
    const posted = await requestJson(`${server.url}/conversations/${conversation.id}/messages`, { body: { message: 'Summarise these.', attachments } });
    assert.equal(posted.status, 200, JSON.stringify(posted.body));
    const shown = [
      { type: 'image', url: `data:image/png;base64,${png}`, media_type: 'image/png' },
      { type: 'image', url: 'https://images.example/diagram.webp', media_type: 'image/webp' },
      { type: 'file', url: `data:application/pdf;base64,${pdf}`, media_type: 'application/pdf', filename: 'report.pdf' },
    ];
    assert.deepEqual(posted.body.attachments, shown);
    await answer(conversation.id);

    const listed = (await requestJson(`${server.url}/conversations/${conversation.id}/messages`)).body.messages;
    assert.deepEqual(listed[0].attachments, shown);
    assert.equal(listed[0].content, 'Summarise these.');
    assert.equal(listed[1].attachments, undefined);

    const userTurn = {
      role: 'user',
      content: [
        { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
        { type: 'image_url', image_url: { url: 'https://images.example/diagram.webp' } },
        { type: 'file', file: { file_data: `data:application/pdf;base64,${pdf}`, filename: 'report.pdf' } },
        { type: 'text', text: 'Summarise these.' },
      ],
    };
    assert.deepEqual(await upstreamMessages(), [[userTurn]]);

    await requestJson(`${server.url}/conversations/${conversation.id}/messages`, { body: { message: 'And the second page?' } });
    await answer(conversation.id);
    const second = (await upstreamMessages())[1];
    assert.deepEqual(second, [userTurn, { role: 'user', content: 'And the second page?' }], 'the attachments stay in the history');
  });

  const refusals: [string, unknown, number, RegExp][] = [
    ['a file URL the provider would need as bytes', { url: 'https://docs.example/report.pdf' }, 400, /^attachments\.0 is a file URL, which provider "custom" .*Parley does not fetch URLs/],
    ['a file over PARLEY_MAX_ATTACHMENT_BYTES', { url: `data:image/png;base64,${base64Of(Buffer.alloc(3000, 1))}` }, 413, /^attachments\.0: the image has 3000 bytes/],
    ['an audio URL', { url: 'https://sounds.example/a.wav', media_type: 'audio/wav' }, 400, /^attachments\.0: audio must be sent as a data: URL/],
  ];
  for (const [name, attachment, status, message] of refusals) {
    test(`${name} is refused with ${status} and nothing is stored`, async () => {
      const conversation = (await requestJson(`${server.url}/conversations`, { body: { default_model: 'mock-model' } })).body;
      const posted = await requestJson(`${server.url}/conversations/${conversation.id}/messages`, { body: { message: 'look', attachments: [attachment] } });
      assert.equal(posted.status, status, JSON.stringify(posted.body));
      assert.match(posted.body.error.message, message);
      assert.deepEqual((await requestJson(`${server.url}/conversations/${conversation.id}/messages`)).body.messages, []);
    });
  }

  test('a conversation on a provider that takes no attachments refuses them before storing', async () => {
    const conversation = (await requestJson(`${server.url}/conversations`, { body: { default_model: 'mock:mock-model' } })).body;
    const posted = await requestJson(`${server.url}/conversations/${conversation.id}/messages`, { body: { message: 'look', attachments: [{ url: `data:image/png;base64,${png}` }] } });
    assert.equal(posted.status, 400);
    assert.match(posted.body.error.message, /^attachments\.0 is an image, which provider "mock" \(model mock-model\) does not take/);
    assert.equal(posted.body.error.param, 'attachments.0');
  });
});
