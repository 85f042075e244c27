import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { upstreamStream } from './helpers/fixtures.js';
import { collectSse } from './helpers/sse.js';

const OPENAI_FORMAT = ['openai-text', 'deepseek-text', 'deepseek-reasoning', 'deepseek-tool-call', 'groq-reasoning', 'xai-text', 'mistral-text'];

/** DeepSeek's `reasoning_content`, which Parley sends and the SDK's types do not name. */
type DeltaWithReasoning = OpenAI.Chat.ChatCompletionChunk.Choice.Delta & { reasoning_content?: string };

interface Expected {
  text: string;
  reasoning: string;
  usage: { prompt_tokens: number; completion_tokens: number } | undefined;
  toolCalls: { name: string; arguments: string }[];
}

/** What the recording says: concatenated deltas and the last usage object. */
function expectedFrom(name: string): Expected {
  const expected: Expected = { text: '', reasoning: '', usage: undefined, toolCalls: [] };
  for (const line of readFileSync(upstreamStream(name), 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const chunk = JSON.parse(line);
    // As OpenAI defines usage, which Parley reports whatever the provider: total = prompt + completion
    // (xAI counts its reasoning tokens beside completion_tokens; the total includes them).
    if (chunk.usage) expected.usage = { prompt_tokens: chunk.usage.prompt_tokens, completion_tokens: chunk.usage.total_tokens - chunk.usage.prompt_tokens };
    const delta = chunk.choices?.[0]?.delta ?? {};
    if (typeof delta.content === 'string') expected.text += delta.content;
    if (typeof delta.reasoning_content === 'string') expected.reasoning += delta.reasoning_content;
    if (typeof delta.reasoning === 'string') expected.reasoning += delta.reasoning;
    for (const call of delta.tool_calls ?? []) {
      const entry = (expected.toolCalls[call.index] ??= { name: '', arguments: '' });
      entry.name += call.function?.name ?? '';
      entry.arguments += call.function?.arguments ?? '';
    }
  }
  return expected;
}

describe('recorded provider streams replayed through Parley', () => {
  let upstream: MockUpstreamProcess;
  let server: RunningParley;
  let client: OpenAI;

  before(async () => {
    upstream = await spawnMockUpstream([]);
    server = await startParley({ PARLEY_PROVIDER_BASE_URL: upstream.url, MODEL_NAME: 'recorded' });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(async () => {
    await server.stop();
    await upstream.stop();
  });

  for (const name of OPENAI_FORMAT) {
    const expected = expectedFrom(name);

    test(`${name}: /v1 stream carries the recording's text, reasoning, tool calls and usage`, async () => {
      await upstream.admin.setOptions({ replayFile: upstreamStream(name) });
      const stream = await client.chat.completions.create({
        model: 'recorded',
        messages: [{ role: 'user', content: 'replay' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let reasoning = '';
      let usage: OpenAI.CompletionUsage | undefined;
      const toolCalls: { name: string; arguments: string }[] = [];
      for await (const chunk of stream) {
        const delta: DeltaWithReasoning | undefined = chunk.choices[0]?.delta;
        text += delta?.content ?? '';
        reasoning += delta?.reasoning_content ?? '';
        for (const call of delta?.tool_calls ?? []) {
          const entry = (toolCalls[call.index] ??= { name: '', arguments: '' });
          entry.name += call.function?.name ?? '';
          entry.arguments += call.function?.arguments ?? '';
        }
        if (chunk.usage) usage = chunk.usage;
      }
      assert.equal(text, expected.text);
      assert.equal(reasoning, expected.reasoning);
      assert.deepEqual(toolCalls, expected.toolCalls);
      if (expected.usage !== undefined) {
        assert.equal(usage?.prompt_tokens, expected.usage.prompt_tokens);
        assert.equal(usage?.completion_tokens, expected.usage.completion_tokens);
      }
    });

    test(`${name}: conversation stream and stored message carry the recording's text, reasoning and usage`, async () => {
      await upstream.admin.setOptions({ replayFile: upstreamStream(name) });
      const conversation = (await requestJson(`${server.url}/conversations`, { body: {} })).body;
      await requestJson(`${server.url}/conversations/${conversation.id}/messages`, { body: { message: 'replay' } });
      const events = await collectSse(await fetch(`${server.url}/conversations/${conversation.id}/stream`));
      const text = events
        .filter((event) => event.event === undefined)
        .map((event) => JSON.parse(event.data).content ?? '')
        .join('');
      const reasoning = events
        .filter((event) => event.event === 'reasoning')
        .map((event) => JSON.parse(event.data).reasoning)
        .join('');
      assert.equal(text, expected.text);
      assert.equal(reasoning, expected.reasoning);
      const stored = (await requestJson(`${server.url}/conversations/${conversation.id}/messages`)).body.messages.at(-1);
      assert.equal(stored.status, 'complete');
      assert.equal(stored.content, expected.text);
      assert.equal(stored.reasoning ?? '', expected.reasoning);
      if (expected.usage !== undefined) {
        assert.equal(stored.usage.prompt_tokens, expected.usage.prompt_tokens);
        assert.equal(stored.usage.completion_tokens, expected.usage.completion_tokens);
      }
    });
  }
});
