import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DefaultChatTransport, readUIMessageStream, type UIMessage } from 'ai';
import OpenAI from 'openai';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { startParley, type RunningParley } from './helpers/parley.js';

const TOOL_CALLS = fileURLToPath(new URL('./fixtures/tool-calls.chunks.txt', import.meta.url));

describe('tool calls from a real upstream process, on the Responses and AI SDK surfaces', () => {
  let upstream: MockUpstreamProcess;
  let server: RunningParley;
  before(async () => {
    upstream = await spawnMockUpstream(['--replay', TOOL_CALLS]);
    server = await startParley({ PARLEY_PROVIDER_BASE_URL: upstream.url, MODEL_NAME: 'tool-model' });
  });
  after(async () => {
    await server.stop();
    await upstream.stop();
  });

  test('responses.stream: reasoning, message and two function_call items with their arguments; tools reach the upstream in chat format', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = client.responses.stream({
      model: 'tool-model',
      input: 'Weather in Paris?',
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true }],
      tool_choice: { type: 'function', name: 'get_weather' },
    });
    const types: string[] = [];
    stream.on('event', (event) => types.push(event.type));
    const final = await stream.finalResponse();
    assert.equal(final.status, 'completed');
    assert.deepEqual(
      final.output.map((item) => [item.type, item.type === 'function_call' ? [item.call_id, item.name, item.arguments, item.status] : item.id]),
      [
        ['reasoning', final.output[0]!.id],
        ['message', final.output[1]!.id],
        ['function_call', ['call_weather', 'get_weather', '{"city":"Paris"}', 'completed']],
        ['function_call', ['call_time', 'get_time', '{}', 'completed']],
      ],
    );
    assert.equal(types.filter((type) => type === 'response.function_call_arguments.done').length, 2);
    assert.deepEqual(final.usage?.output_tokens_details, { reasoning_tokens: 6 });
    const [request] = (await upstream.admin.requests()).slice(-1);
    const body = request!.body as { tools: unknown; tool_choice: unknown };
    assert.deepEqual(body.tools, [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true } }]);
    assert.deepEqual(body.tool_choice, { type: 'function', function: { name: 'get_weather' } });
  });

  test('useChat transport: the tool calls become dynamic tool parts with parsed input, finish reason tool-calls', async () => {
    const transport = new DefaultChatTransport<UIMessage>({ api: `${server.url}/ai-sdk/chat`, body: { model: 'tool-model' } });
    const stream = await transport.sendMessages({ chatId: 'tools-chat', messages: [{ id: 'u', role: 'user', parts: [{ type: 'text', text: 'Weather?' }] }], trigger: 'submit-message', messageId: undefined, abortSignal: undefined });
    let message: UIMessage | undefined;
    for await (const snapshot of readUIMessageStream({ stream, terminateOnError: true })) message = snapshot;
    assert.deepEqual(
      message?.parts.map((part) => (part.type === 'dynamic-tool' ? [part.type, part.toolName, part.state, part.input] : [part.type])),
      [['step-start'], ['reasoning'], ['text'], ['dynamic-tool', 'get_weather', 'input-available', { city: 'Paris' }], ['dynamic-tool', 'get_time', 'input-available', {}]],
    );
  });
});
