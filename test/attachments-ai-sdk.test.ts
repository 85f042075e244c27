/**
 * `file` parts of the AI SDK surface: the `ai` package's DefaultChatTransport
 * sends a user UIMessage with files (as `useChat().sendMessage({text, files})`
 * builds it); a real OpenAI-mode mock upstream receives them as content parts,
 * bytes unchanged, and the stored chat gives them back as `file` parts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DefaultChatTransport, readUIMessageStream, type UIMessage } from 'ai';
import { ATTACHMENT_BYTES, base64Of } from './helpers/attachments.js';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';

const png = base64Of(ATTACHMENT_BYTES.png);
const pdf = base64Of(ATTACHMENT_BYTES.pdf);

let upstream: MockUpstreamProcess;
let server: RunningParley;

before(async () => {
  upstream = await spawnMockUpstream(['--ttft-ms', '0', '--token-rate', '0', '--chunks', '3']);
  server = await startParley({ PARLEY_PROVIDER_BASE_URL: upstream.url, PARLEY_UPSTREAM_RETRIES: '0' });
});
after(async () => {
  await server.stop();
  await upstream.stop();
});

describe('AI SDK file parts', () => {
  test('reach the upstream as content parts and come back in the stored chat', async () => {
    const transport = new DefaultChatTransport<UIMessage>({ api: `${server.url}/ai-sdk/chat`, body: { model: 'mock-model' } });
    const files = [
      { type: 'file' as const, mediaType: 'image/png', url: `data:image/png;base64,${png}` },
      { type: 'file' as const, mediaType: 'application/pdf', url: `data:application/pdf;base64,${pdf}`, filename: 'report.pdf' },
    ];
    const user: UIMessage = { id: 'u-files', role: 'user', parts: [...files, { type: 'text', text: 'What are these?' }] };
    const stream = await transport.sendMessages({ chatId: 'files-chat', messages: [user], trigger: 'submit-message', messageId: undefined, abortSignal: undefined });
    let answer: UIMessage | undefined;
    for await (const snapshot of readUIMessageStream({ stream, terminateOnError: true })) answer = snapshot;
    assert.ok(answer?.parts.some((part) => part.type === 'text' && part.text.length > 0));

    const requests = (await upstream.admin.requests()).filter((request) => request.path === '/v1/chat/completions');
    const userTurns = requests.map((request) => (request.body as { messages: { role: string }[] }).messages.filter((message) => message.role === 'user'));
    assert.deepEqual(userTurns, [
      [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
            { type: 'file', file: { file_data: `data:application/pdf;base64,${pdf}`, filename: 'report.pdf' } },
            { type: 'text', text: 'What are these?' },
          ],
        },
      ],
    ]);

    const stored = (await requestJson(`${server.url}/ai-sdk/chat/files-chat/messages`)).body as { messages: UIMessage[] };
    assert.deepEqual(stored.messages[0]?.parts, [...files, { type: 'text', text: 'What are these?', state: 'done' }]);
  });

  test('a file URL that is neither https: nor data: is a 400 naming the part', async () => {
    const response = await requestJson(`${server.url}/ai-sdk/chat`, {
      body: {
        id: 'files-chat-2',
        trigger: 'submit-message',
        model: 'mock-model',
        messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'see' }, { type: 'file', mediaType: 'image/png', url: 'blob:http://localhost/1' }] }],
      },
    });
    assert.equal(response.status, 400);
    assert.match(response.body.error.message, /^messages\.0\.parts\.1\.url must be an https: or data: URL/);
  });
});
