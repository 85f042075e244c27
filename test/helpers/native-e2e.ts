/**
 * End-to-end set-up for the native adapters: `parley mock-upstream` processes in
 * Anthropic and Gemini modes, and Parley configured with ANTHROPIC_API_KEY /
 * GEMINI_API_KEY and base URLs pointing at them; plus readers of what `/v1` and
 * the conversations stream deliver.
 */
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { spawnMockUpstream, type MockUpstreamProcess } from './mock-upstream-process.js';
import type { ExpectedAnswer } from './native-fixtures.js';
import { requestJson, startParley, type RunningParley } from './parley.js';
import { collectSse } from './sse.js';

/** DeepSeek-style `reasoning_content`, which Parley sends and the SDK's types do not name. */
type DeltaWithReasoning = OpenAI.Chat.ChatCompletionChunk.Choice.Delta & { reasoning_content?: string };

/** What one `/v1` stream delivered. */
export interface Streamed {
  text: string;
  reasoning: string;
  toolCalls: { id: string; name: string; arguments: string }[];
  usage: OpenAI.CompletionUsage | undefined;
  finishReason: string | null | undefined;
}

/** Streams one `/v1` chat completion with usage and folds its chunks. */
export async function streamChat(client: OpenAI, body: Omit<OpenAI.Chat.ChatCompletionCreateParamsStreaming, 'stream'>): Promise<Streamed> {
  const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
  const result: Streamed = { text: '', reasoning: '', toolCalls: [], usage: undefined, finishReason: undefined };
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    const delta: DeltaWithReasoning | undefined = choice?.delta;
    result.text += delta?.content ?? '';
    result.reasoning += delta?.reasoning_content ?? '';
    for (const call of delta?.tool_calls ?? []) {
      const entry = (result.toolCalls[call.index] ??= { id: '', name: '', arguments: '' });
      entry.id += call.id ?? '';
      entry.name += call.function?.name ?? '';
      entry.arguments += call.function?.arguments ?? '';
    }
    if (choice?.finish_reason) result.finishReason = choice.finish_reason;
    if (chunk.usage) result.usage = chunk.usage;
  }
  return result;
}

/** Asserts a stream delivered exactly what a recording says. */
export function assertAnswer(streamed: Streamed, expected: ExpectedAnswer, finishReason: string): void {
  assert.equal(streamed.text, expected.text);
  assert.equal(streamed.reasoning, expected.reasoning);
  assert.deepEqual(
    streamed.toolCalls.map(({ name, arguments: args }) => ({ name, arguments: args })),
    expected.toolCalls,
  );
  for (const call of streamed.toolCalls) assert.ok(call.id !== '', 'every tool call has an id');
  assert.equal(streamed.finishReason, finishReason);
  assert.equal(streamed.usage?.prompt_tokens, expected.usage.prompt_tokens);
  assert.equal(streamed.usage?.completion_tokens, expected.usage.completion_tokens);
  assert.equal(streamed.usage?.completion_tokens_details?.reasoning_tokens, expected.usage.reasoning_tokens);
}

/** Sends one conversation turn and reads its SSE stream: text, reasoning and the final event. */
export async function conversationTurn(server: RunningParley, conversationId: string, message: string) {
  const posted = await requestJson(`${server.url}/conversations/${conversationId}/messages`, { body: { message } });
  assert.equal(posted.status, 200);
  const events = await collectSse(await fetch(`${server.url}/conversations/${conversationId}/stream`));
  const unnamed = events.filter((event) => event.event === undefined).map((event) => JSON.parse(event.data));
  return {
    text: unnamed.map((data) => data.content ?? '').join(''),
    reasoning: events.filter((event) => event.event === 'reasoning').map((event) => JSON.parse(event.data).reasoning).join(''),
    last: unnamed.at(-1),
  };
}

/** POSTs a `/v1` chat completion with fetch: status, headers and parsed body (for error answers). */
export async function chatStatus(server: RunningParley, body: unknown) {
  const response = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

/** The two mock upstreams, Parley over them, and an openai client of Parley's `/v1`. */
export interface NativeSetup {
  anthropic: MockUpstreamProcess;
  gemini: MockUpstreamProcess;
  server: RunningParley;
  client: OpenAI;
  stop(): Promise<void>;
}

/**
 * Spawns `parley mock-upstream --mode anthropic` (key `sk-ant-test-key`, model
 * `claude-test`) and `--mode gemini` (key `gemini-test-key`, models
 * `gemini-2.5-flash`, `gemini-3-pro-preview`), each answering 6 scripted chunks,
 * and starts Parley with both providers (Anthropic first, so the default) and
 * one upstream retry.
 */
export async function startNativeSetup(): Promise<NativeSetup> {
  const [anthropic, gemini] = await Promise.all([
    spawnMockUpstream(['--mode', 'anthropic', '--api-key', 'sk-ant-test-key', '--models', 'claude-test', '--chunks', '6']),
    spawnMockUpstream(['--mode', 'gemini', '--api-key', 'gemini-test-key', '--models', 'gemini-2.5-flash,gemini-3-pro-preview', '--chunks', '6']),
  ]);
  const server = await startParley({
    ANTHROPIC_API_KEY: 'sk-ant-test-key',
    ANTHROPIC_BASE_URL: anthropic.url,
    GEMINI_API_KEY: 'gemini-test-key',
    GEMINI_BASE_URL: gemini.url,
    PARLEY_UPSTREAM_RETRIES: '1',
  });
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  return {
    anthropic,
    gemini,
    server,
    client,
    async stop() {
      await server.stop();
      await Promise.all([anthropic.stop(), gemini.stop()]);
    },
  };
}
