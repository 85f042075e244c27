import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readUIMessageStream, validateUIMessages, type UIMessage, type UIMessageChunk } from 'ai';
import { foldUiMessageEvents, foldUiMessageStream, initialUiStreamState } from '../src/http/surfaces/ai-sdk/ui-stream.js';
import { uiMessageOf } from '../src/http/surfaces/ai-sdk/messages.js';
import type { RunEvent, RunEventPayload } from '../src/runs/events.js';

const usage = { prompt_tokens: 3, completion_tokens: 5, reasoning_tokens: 1, cached_tokens: 0 };

function events(...payloads: RunEventPayload[]): RunEvent[] {
  return payloads.map((payload, index) => ({ ...payload, seq: index + 1, at: 0 }));
}

const started: RunEventPayload = { type: 'run.started', run_id: 'run-1', conversation_id: 'c', message_id: 'msg-1', model: 'm', provider: 'p' };

/** Runs the folded chunks through the AI SDK's own message builder. */
async function build(chunks: readonly unknown[]): Promise<{ message: UIMessage | undefined; errors: unknown[] }> {
  const errors: unknown[] = [];
  const stream = new ReadableStream<UIMessageChunk>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk as UIMessageChunk);
      controller.close();
    },
  });
  let message: UIMessage | undefined;
  for await (const snapshot of readUIMessageStream({ stream, onError: (error) => errors.push(error) })) message = snapshot;
  return { message, errors };
}

describe('UI message stream fold (pure)', () => {
  test('reasoning, then text, then reasoning again open three separate parts, each closed before the next', async () => {
    const { chunks, state } = foldUiMessageEvents(
      events(
        started,
        { type: 'reasoning.delta', text: 'think ' },
        { type: 'reasoning.delta', text: 'more' },
        { type: 'message.delta', text: 'Hello' },
        { type: 'reasoning.delta', text: 'again' },
        { type: 'message.delta', text: ' world' },
        { type: 'usage', usage },
        { type: 'run.completed', message_id: 'msg-1', finish_reason: 'length', usage },
      ),
    );
    assert.equal(state.ended, true);
    assert.deepEqual(
      chunks.map((chunk) => ('id' in chunk ? `${chunk.type}:${chunk.id}` : chunk.type)),
      [
        'start',
        'start-step',
        'reasoning-start:reasoning-0',
        'reasoning-delta:reasoning-0',
        'reasoning-delta:reasoning-0',
        'reasoning-end:reasoning-0',
        'text-start:text-1',
        'text-delta:text-1',
        'text-end:text-1',
        'reasoning-start:reasoning-2',
        'reasoning-delta:reasoning-2',
        'reasoning-end:reasoning-2',
        'text-start:text-3',
        'text-delta:text-3',
        'text-end:text-3',
        'finish-step',
        'finish',
      ],
    );
    assert.deepEqual(chunks.at(-1), { type: 'finish', finishReason: 'length', messageMetadata: { status: 'complete', finishReason: 'length', usage } });
    const { message, errors } = await build(chunks);
    assert.deepEqual(errors, []);
    assert.equal(message?.id, 'msg-1');
    assert.deepEqual(
      message?.parts.map((part) => ('text' in part ? [part.type, part.text] : [part.type])),
      [['step-start'], ['reasoning', 'think more'], ['text', 'Hello'], ['reasoning', 'again'], ['text', ' world']],
    );
  });

  test('tool calls stream as dynamic tool input and end as tool-input-available with parsed JSON', async () => {
    const { chunks } = foldUiMessageEvents(
      events(
        started,
        { type: 'message.delta', text: 'Let me check.' },
        { type: 'tool_call.delta', index: 0, id: 'call_a', name: 'get_weather', arguments: '{"city":' },
        { type: 'tool_call.delta', index: 0, arguments: '"Paris"}' },
        { type: 'tool_call.delta', index: 1, id: 'call_b', name: 'get_time', arguments: 'not json' },
        { type: 'run.completed', message_id: 'msg-1', finish_reason: 'tool_calls', usage },
      ),
    );
    const available = chunks.filter((chunk) => chunk.type === 'tool-input-available');
    assert.deepEqual(available, [
      { type: 'tool-input-available', toolCallId: 'call_a', toolName: 'get_weather', input: { city: 'Paris' }, dynamic: true },
      { type: 'tool-input-available', toolCallId: 'call_b', toolName: 'get_time', input: 'not json', dynamic: true },
    ]);
    const last = chunks.at(-1);
    assert.equal(last?.type === 'finish' ? last.finishReason : undefined, 'tool-calls');
    const { message, errors } = await build(chunks);
    assert.deepEqual(errors, []);
    const tools = message?.parts.filter((part) => part.type === 'dynamic-tool');
    assert.deepEqual(
      tools?.map((part) => part.type === 'dynamic-tool' && [part.toolName, part.state, part.input]),
      [
        ['get_weather', 'input-available', { city: 'Paris' }],
        ['get_time', 'input-available', 'not json'],
      ],
    );
  });

  test('a failed run closes its open part, then sends error and finish with reason error', async () => {
    const { chunks } = foldUiMessageEvents(
      events(started, { type: 'message.delta', text: 'Partial' }, { type: 'run.failed', message_id: 'msg-1', error: { code: 'upstream_unavailable', message: 'Provider down.', retryable: true }, usage }),
    );
    assert.deepEqual(
      chunks.slice(-4).map((chunk) => chunk.type),
      ['text-end', 'error', 'finish-step', 'finish'],
    );
    assert.deepEqual(chunks.find((chunk) => chunk.type === 'error'), { type: 'error', errorText: 'upstream_unavailable: Provider down.' });
    const { errors } = await build(chunks);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /Provider down/);
  });

  test('a cancelled run ends with finish-step, abort and finish; events after the end map to nothing', () => {
    const { state, chunks } = foldUiMessageEvents(events(started, { type: 'reasoning.delta', text: 'hm' }, { type: 'run.cancelled', message_id: 'msg-1', usage }));
    assert.deepEqual(
      chunks.slice(-4).map((chunk) => chunk.type),
      ['reasoning-end', 'finish-step', 'abort', 'finish'],
    );
    assert.deepEqual(foldUiMessageStream(state, { type: 'message.delta', text: 'late', seq: 9, at: 0 }).chunks, []);
    assert.deepEqual(foldUiMessageStream(initialUiStreamState(), { type: 'thinking.step', step: { step: 1, status: 'x', message: 'y', progress: 1, timestamp: '' }, seq: 2, at: 0 }).chunks, []);
  });

  test('stored messages map to UIMessages the ai package validates', async () => {
    const base = {
      conversation_id: 'c',
      parent_id: null,
      active: 1,
      model: 'm',
      status: 'complete' as const,
      finish_reason: 'stop',
      prompt_tokens: 3,
      completion_tokens: 5,
      reasoning_tokens: 1,
      cached_tokens: 0,
      cache_hit: 0,
      saved_tokens: null,
      cost_usd: null,
      error_code: null,
      error_message: null,
      run_id: 'run-1',
      provider_metadata: null,
      provider: null,
      parts: null,
      created_at: '',
      updated_at: '',
    };
    const messages = [
      uiMessageOf({ ...base, id: 'u', role: 'user', content: 'Hi', reasoning: null, model: null, run_id: null, siblings: [] }),
      uiMessageOf({ ...base, id: 'a', parent_id: 'u', role: 'assistant', content: 'Hello', reasoning: 'thought', siblings: ['a'] }),
    ];
    const validated = await validateUIMessages({ messages });
    assert.equal(validated.length, 2);
    assert.deepEqual(messages[1]?.parts.map((part) => part.type), ['step-start', 'reasoning', 'text']);
    assert.deepEqual(messages[1]?.metadata, { runId: 'run-1', model: 'm', status: 'complete', finishReason: 'stop', usage, siblings: ['a'] });
  });
});
