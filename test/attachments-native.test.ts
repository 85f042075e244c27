/**
 * Images and files reaching the native adapters in their providers' formats:
 * the `openai` SDK sends OpenAI content parts to Parley's `/v1`, and real mock
 * upstream processes in Anthropic and Gemini modes record what they receive:
 * Anthropic `image` / `document` blocks with base64 or URL sources, Gemini
 * `inlineData` / `fileData` parts, the client's bytes unchanged.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type OpenAI from 'openai';
import { ATTACHMENT_BYTES, base64Of } from './helpers/attachments.js';
import type { MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { startNativeSetup, type NativeSetup } from './helpers/native-e2e.js';
import { requestJson, type RunningParley } from './helpers/parley.js';

const png = base64Of(ATTACHMENT_BYTES.png);
const pdf = base64Of(ATTACHMENT_BYTES.pdf);
const wav = base64Of(ATTACHMENT_BYTES.wav);
const notes = 'Meeting notes: ship on Friday.\n';

/** The parts the client sends: text, an inline image, an image URL, an inline PDF, a PDF URL, a text file. */
const CONTENT: OpenAI.Chat.ChatCompletionContentPart[] = [
  { type: 'text', text: 'Compare these.' },
  { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
  { type: 'image_url', image_url: { url: 'https://images.example/cat.jpg' } },
  { type: 'file', file: { file_data: `data:application/pdf;base64,${pdf}`, filename: 'report.pdf' } },
  { type: 'file', file: { file_data: 'https://docs.example/spec.pdf' } },
  { type: 'file', file: { file_data: `data:text/plain;base64,${Buffer.from(notes).toString('base64')}`, filename: 'notes.txt' } },
];

let setup: NativeSetup;
let anthropic: MockUpstreamProcess;
let gemini: MockUpstreamProcess;
let server: RunningParley;
let client: OpenAI;

/** Bodies of the chat requests an upstream received. */
async function chatBodies(upstream: MockUpstreamProcess): Promise<Record<string, unknown>[]> {
  const requests = await upstream.admin.requests();
  return requests.filter((request) => /\/messages$|:(streamGenerateContent|generateContent)\b/.test(request.path)).map((request) => request.body as Record<string, unknown>);
}

before(async () => {
  setup = await startNativeSetup();
  ({ anthropic, gemini, server, client } = setup);
});
after(() => setup.stop());
beforeEach(() => Promise.all([anthropic.admin.reset(), gemini.admin.reset()]));

describe('attachments through the native adapters', () => {
  test('Anthropic receives image and document blocks with base64, URL and text sources', async () => {
    const completion = await client.chat.completions.create({ model: 'anthropic:claude-test', messages: [{ role: 'user', content: CONTENT }] });
    assert.ok((completion.choices[0]?.message.content ?? '').length > 0);
    const [body] = await chatBodies(anthropic);
    assert.deepEqual(body?.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare these.' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
          { type: 'image', source: { type: 'url', url: 'https://images.example/cat.jpg' } },
          { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: pdf }, title: 'report.pdf' },
          { type: 'document', source: { type: 'url', url: 'https://docs.example/spec.pdf' } },
          { type: 'document', source: { type: 'text', media_type: 'text/plain', data: notes }, title: 'notes.txt' },
        ],
      },
    ]);
  });

  test('Gemini receives inlineData and fileData parts, audio included', async () => {
    const content: OpenAI.Chat.ChatCompletionContentPart[] = [...CONTENT, { type: 'input_audio', input_audio: { data: wav, format: 'wav' } }];
    const completion = await client.chat.completions.create({ model: 'google:gemini-2.5-flash', messages: [{ role: 'user', content }] });
    assert.ok((completion.choices[0]?.message.content ?? '').length > 0);
    const [body] = await chatBodies(gemini);
    assert.deepEqual(body?.contents, [
      {
        role: 'user',
        parts: [
          { text: 'Compare these.' },
          { inlineData: { mimeType: 'image/png', data: png } },
          { fileData: { mimeType: 'image/jpeg', fileUri: 'https://images.example/cat.jpg' } },
          { inlineData: { mimeType: 'application/pdf', data: pdf } },
          { fileData: { mimeType: 'application/pdf', fileUri: 'https://docs.example/spec.pdf' } },
          { inlineData: { mimeType: 'text/plain', data: Buffer.from(notes).toString('base64') } },
          { inlineData: { mimeType: 'audio/wav', data: wav } },
        ],
      },
    ]);
  });

  test('audio to Anthropic, which takes none, is a 400 naming the part; the upstream is not called', async () => {
    const response = await requestJson(`${server.url}/v1/chat/completions`, {
      body: { model: 'anthropic:claude-test', messages: [{ role: 'user', content: [{ type: 'text', text: 'hear' }, { type: 'input_audio', input_audio: { data: wav, format: 'wav' } }] }] },
    });
    assert.equal(response.status, 400);
    assert.match(response.body.error.message, /^messages\.0\.content\.1 is audio, which provider "anthropic" \(model claude-test\) does not take\./);
    assert.deepEqual(await chatBodies(anthropic), []);
  });

  test('a Gemini URL without a known media type is a 400 naming the part', async () => {
    const response = await requestJson(`${server.url}/v1/chat/completions`, {
      body: { model: 'google:gemini-2.5-flash', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://images.example/photo' } }] }] },
    });
    assert.equal(response.status, 400, JSON.stringify(response.body));
    assert.match(response.body.error.message, /messages\.0\.content\.0: Gemini needs the media type of a URL/);
    assert.deepEqual(await chatBodies(gemini), []);
  });
});
