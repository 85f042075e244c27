/**
 * `input_image` and `input_file` on `/v1/responses`, sent with the official
 * `openai` SDK: stored or not, the parts reach a real OpenAI-mode mock upstream
 * as chat content parts with the client's bytes, `input_items` lists them
 * back, and what a provider cannot take is a 400 naming the input part.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import { ATTACHMENT_BYTES, base64Of } from './helpers/attachments.js';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';

const png = base64Of(ATTACHMENT_BYTES.png);
const pdf = base64Of(ATTACHMENT_BYTES.pdf);

let upstream: MockUpstreamProcess;
let server: RunningParley;
let client: OpenAI;

/** The user messages of each chat request the upstream received. */
async function upstreamUserMessages(): Promise<unknown[][]> {
  const requests = (await upstream.admin.requests()).filter((request) => request.path === '/v1/chat/completions');
  return requests.map((request) => (request.body as { messages: { role: string }[] }).messages.filter((message) => message.role === 'user'));
}

const INPUT: OpenAI.Responses.ResponseInputItem[] = [
  {
    role: 'user',
    content: [
      { type: 'input_text', text: 'What do these show?' },
      { type: 'input_image', image_url: `data:image/png;base64,${png}`, detail: 'high' },
      { type: 'input_image', image_url: 'https://images.example/chart.png', detail: 'auto' },
      { type: 'input_file', file_data: `data:application/pdf;base64,${pdf}`, filename: 'report.pdf' },
    ],
  },
];

const UPSTREAM_TURN = {
  role: 'user',
  content: [
    { type: 'text', text: 'What do these show?' },
    { type: 'image_url', image_url: { url: `data:image/png;base64,${png}`, detail: 'high' } },
    { type: 'image_url', image_url: { url: 'https://images.example/chart.png', detail: 'auto' } },
    { type: 'file', file: { file_data: `data:application/pdf;base64,${pdf}`, filename: 'report.pdf' } },
  ],
};

before(async () => {
  upstream = await spawnMockUpstream(['--ttft-ms', '0', '--token-rate', '0', '--chunks', '3']);
  server = await startParley({ PARLEY_PROVIDER_BASE_URL: upstream.url, PARLEY_UPSTREAM_RETRIES: '0' });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => {
  await server.stop();
  await upstream.stop();
});
beforeEach(() => upstream.admin.reset());

describe('/v1/responses input_image and input_file', () => {
  for (const store of [true, false]) {
    test(`store: ${store}: the parts reach the upstream byte for byte and input_items lists them`, async () => {
      const response = await client.responses.create({ model: 'mock-model', input: INPUT, store });
      assert.equal(response.status, 'completed');
      assert.ok(response.output_text.length > 0);
      assert.deepEqual(await upstreamUserMessages(), [[UPSTREAM_TURN]]);
      const items = await client.responses.inputItems.list(response.id);
      const [message] = items.data as { type: string; content: unknown[] }[];
      assert.deepEqual(message?.content, [
        { type: 'input_text', text: 'What do these show?' },
        { type: 'input_image', image_url: `data:image/png;base64,${png}`, detail: 'high' },
        { type: 'input_image', image_url: 'https://images.example/chart.png', detail: 'auto' },
        { type: 'input_file', file_data: `data:application/pdf;base64,${pdf}`, filename: 'report.pdf' },
      ]);
    });
  }

  test('a stored response continued with previous_response_id sends the earlier attachments again', async () => {
    const first = await client.responses.create({ model: 'mock-model', input: INPUT });
    await client.responses.create({ model: 'mock-model', previous_response_id: first.id, input: 'And the trend?' });
    const [, second] = await upstreamUserMessages();
    assert.deepEqual(second, [UPSTREAM_TURN, { role: 'user', content: 'And the trend?' }]);
  });

  test('an image for a provider that takes none is a 400 naming the input part', async () => {
    for (const store of [true, false]) {
      const response = await requestJson(`${server.url}/v1/responses`, {
        body: { model: 'mock:mock-model', store, input: [{ role: 'user', content: [{ type: 'input_text', text: 'look' }, { type: 'input_image', image_url: `data:image/png;base64,${png}` }] }] },
      });
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.match(response.body.error.message, /^input\.0\.content\.1 is an image, which provider "mock" \(model mock-model\) does not take\./);
    }
  });

  test('a file_id is refused: Parley keeps no uploads', async () => {
    const response = await requestJson(`${server.url}/v1/responses`, {
      body: { model: 'mock-model', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] },
    });
    assert.equal(response.status, 400);
    assert.match(response.body.error.message, /^input\.0\.content\.0: an input_file needs file_data/);
    assert.deepEqual(await upstreamUserMessages(), []);
  });
});
