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

  test('an agent loop: function_call_output after previous_response_id reaches the upstream with the whole tool history', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const tools: OpenAI.Responses.Tool[] = [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} }, strict: false }];
    const first = await client.responses.create({ model: 'tool-model', input: 'Weather in Paris?', tools });
    const calls = first.output.filter((item) => item.type === 'function_call');
    assert.equal(calls.length, 2);
    const second = await client.responses.create({
      model: 'tool-model',
      previous_response_id: first.id,
      tools,
      input: calls.map((call) => ({ type: 'function_call_output' as const, call_id: call.call_id, output: `result of ${call.name}` })),
    });
    assert.equal(second.previous_response_id, first.id);
    const [request] = (await upstream.admin.requests()).slice(-1);
    const messages = (request!.body as { messages: { role: string; content: string | null; tool_calls?: { id: string }[]; tool_call_id?: string }[] }).messages;
    // The first response was a conversation turn, so its conversation's system prompt (the default persona's) leads.
    assert.equal(messages[0]?.role, 'system');
    assert.deepEqual(
      messages.slice(1).map((message) => [message.role, message.tool_call_id ?? message.tool_calls?.map((call) => call.id).join(',') ?? message.content]),
      [
        ['user', 'Weather in Paris?'],
        ['assistant', 'call_weather,call_time'],
        ['tool', 'call_weather'],
        ['tool', 'call_time'],
      ],
    );
    assert.equal(messages[2]?.content, 'Checking.');
    // The tool turn is a stored response (it can be read back and continued), not a conversation turn.
    assert.equal((await client.responses.retrieve(second.id)).status, 'completed');
    const items = await client.responses.inputItems.list(second.id, { order: 'asc' });
    assert.deepEqual(items.data.map((item) => item.type), ['function_call_output', 'function_call_output']);
  });

  test('the whole history as input (what agent SDKs send by default): earlier reasoning is skipped, the rest goes upstream', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const response = await client.responses.create({
      model: 'tool-model',
      input: [
        { role: 'user', content: 'Weather?' },
        { type: 'reasoning', id: 'rs_1', summary: [] },
        { type: 'message', role: 'assistant', id: 'msg_1', status: 'completed', content: [{ type: 'output_text', text: 'Checking.', annotations: [] }] },
        { type: 'function_call', id: 'fc_1', call_id: 'call_weather', name: 'get_weather', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_weather', output: 'sunny' },
      ],
    });
    assert.equal(response.status, 'completed');
    const [request] = (await upstream.admin.requests()).slice(-1);
    const messages = (request!.body as { messages: { role: string }[] }).messages;
    assert.deepEqual(messages.map((message) => message.role), ['user', 'assistant', 'assistant', 'tool']);
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
