/**
 * Images, audio and files on `/v1/chat/completions`, sent with the official
 * `openai` SDK to Parley and forwarded to a real OpenAI-mode mock upstream that
 * records the request body: the upstream receives OpenAI content parts with
 * the client's bytes unchanged. Limits, media types, URL schemes and provider
 * capabilities are refused with a 4xx naming the part.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { ATTACHMENT_BYTES, base64Of } from './helpers/attachments.js';

const png = base64Of(ATTACHMENT_BYTES.png);
const pdf = base64Of(ATTACHMENT_BYTES.pdf);
const wav = base64Of(ATTACHMENT_BYTES.wav);

let upstream: MockUpstreamProcess;

/** The `messages` of the chat requests the upstream received. */
async function upstreamMessages(): Promise<unknown[]> {
  const requests = (await upstream.admin.requests()).filter((request) => request.path === '/v1/chat/completions');
  return requests.map((request) => (request.body as { messages: unknown }).messages);
}

before(async () => {
  upstream = await spawnMockUpstream(['--ttft-ms', '0', '--token-rate', '0', '--chunks', '4']);
});
after(() => upstream.stop());
beforeEach(() => upstream.admin.reset());

describe('/v1 content parts through an OpenAI-compatible provider', () => {
  let server: RunningParley;
  let client: OpenAI;

  before(async () => {
    server = await startParley({ PARLEY_PROVIDER_BASE_URL: upstream.url, PARLEY_UPSTREAM_RETRIES: '0', PARLEY_MAX_ATTACHMENT_BYTES: '4096' });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(() => server.stop());

  test('text, image (data: and https), audio and file parts reach the upstream byte for byte', async () => {
    const content: OpenAI.Chat.ChatCompletionContentPart[] = [
      { type: 'text', text: 'What is in these?' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${png}`, detail: 'low' } },
      { type: 'image_url', image_url: { url: 'https://images.example/cat.jpg' } },
      { type: 'input_audio', input_audio: { data: wav, format: 'wav' } },
      { type: 'file', file: { file_data: `data:application/pdf;base64,${pdf}`, filename: 'report.pdf' } },
    ];
    const completion = await client.chat.completions.create({ model: 'mock-model', messages: [{ role: 'user', content }] });
    assert.ok((completion.choices[0]?.message.content ?? '').length > 0);
    assert.deepEqual(await upstreamMessages(), [[{ role: 'user', content }]]);
  });

  test('text-only parts are still sent as plain text', async () => {
    await client.chat.completions.create({ model: 'mock-model', messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }] });
    assert.deepEqual(await upstreamMessages(), [[{ role: 'user', content: 'ab' }]]);
  });

  const refusals: [string, unknown, number, string, RegExp][] = [
    ['a file over PARLEY_MAX_ATTACHMENT_BYTES', { type: 'image_url', image_url: { url: `data:image/png;base64,${base64Of(Buffer.alloc(5000, 7))}` } }, 413, 'payload_too_large', /PARLEY_MAX_ATTACHMENT_BYTES \(4096\)/],
    ['a media type not in PARLEY_ATTACHMENT_TYPES', { type: 'image_url', image_url: { url: `data:image/tiff;base64,${png}` } }, 400, 'validation_failed', /image\/tiff is not accepted/],
    ['an http: URL', { type: 'image_url', image_url: { url: 'http://images.example/cat.png' } }, 400, 'validation_failed', /must be an https: or data: URL/],
    ['a data: URL that is not base64', { type: 'image_url', image_url: { url: 'data:image/png;base64,@@@' } }, 400, 'validation_failed', /not valid base64/],
    ['a file_id (Parley keeps no uploads)', { type: 'file', file: { file_id: 'file-123' } }, 400, 'validation_failed', /needs file\.file_data/],
    ['a file URL, which OpenAI-compatible providers would need as bytes', { type: 'file', file: { file_data: 'https://docs.example/report.pdf' } }, 400, 'validation_failed', /file URL, which provider "custom" .* does not take\. Parley does not fetch URLs/],
  ];
  for (const [name, part, status, code, message] of refusals) {
    test(`${name} is refused with ${status}, naming the part, and the upstream is not called`, async () => {
      const response = await requestJson(`${server.url}/v1/chat/completions`, {
        body: { model: 'mock-model', messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, part] }] },
      });
      assert.equal(response.status, status, JSON.stringify(response.body));
      assert.equal(response.body.error.code, code);
      assert.match(response.body.error.message, message);
      assert.match(response.body.error.param ?? response.body.error.message, /messages\.0\.content\.1/);
      assert.deepEqual(await upstreamMessages(), []);
    });
  }

  test('a provider that takes no attachments (the built-in mock) gets a 400 naming the part', async () => {
    const response = await requestJson(`${server.url}/v1/chat/completions`, {
      body: { model: 'mock:mock-model', messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] }] },
    });
    assert.equal(response.status, 400);
    assert.equal(response.body.error.code, 'validation_failed');
    assert.match(response.body.error.message, /^messages\.0\.content\.1 is an image, which provider "mock" \(model mock-model\) does not take\./);
  });
});

describe('PARLEY_PROVIDER_INPUTS declares what the generic provider takes', () => {
  let server: RunningParley;

  before(async () => {
    server = await startParley({ PARLEY_PROVIDER_BASE_URL: upstream.url, PARLEY_UPSTREAM_RETRIES: '0', PARLEY_PROVIDER_INPUTS: 'image' });
  });
  after(() => server.stop());

  test('images pass, audio is refused with a 400 before any upstream call', async () => {
    const image = await requestJson(`${server.url}/v1/chat/completions`, {
      body: { model: 'mock-model', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] }] },
    });
    assert.equal(image.status, 200, JSON.stringify(image.body));
    const audio = await requestJson(`${server.url}/v1/chat/completions`, {
      body: { model: 'mock-model', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: wav, format: 'wav' } }] }] },
    });
    assert.equal(audio.status, 400);
    assert.match(audio.body.error.message, /^messages\.0\.content\.0 is audio, which provider "custom"/);
    assert.equal((await upstreamMessages()).length, 1);
  });

  test('a 2 MiB image passes although the body is over PARLEY_MAX_BODY_BYTES (1 MiB): attachment routes allow a message of attachments more', async () => {
    const big = base64Of(Buffer.alloc(2 * 1_048_576, 0x5a));
    const content = [{ type: 'image_url', image_url: { url: `data:image/png;base64,${big}` } }];
    const response = await requestJson(`${server.url}/v1/chat/completions`, { body: { model: 'mock-model', messages: [{ role: 'user', content }] } });
    assert.equal(response.status, 200, JSON.stringify(response.body).slice(0, 300));
    assert.deepEqual(await upstreamMessages(), [[{ role: 'user', content }]]);
    // Other routes keep PARLEY_MAX_BODY_BYTES.
    const plain = await requestJson(`${server.url}/conversations`, { body: { title: 'x', padding: 'x'.repeat(1_100_000) } });
    assert.equal(plain.status, 413);
  });
});
