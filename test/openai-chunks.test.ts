import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chatCompletionView, chunkFor } from '../src/http/surfaces/openai-chat/chunks.js';
import { frameSse } from '../src/http/streaming/sse.js';
import { SseDataDecoder } from '../src/providers/provider-utils/sse-decoder.js';
import type { RunEvent } from '../src/runs/events.js';

const usage = { prompt_tokens: 3, completion_tokens: 2, reasoning_tokens: 0, cached_tokens: 0 };
const identity = { id: 'chatcmpl-"quoted"\u2028', created: 1_700_000_000, model: 'vendor/model "x"' };
const tricky = 'a "quote", a \\ backslash, a\nnewline, \u2028, </script>, emoji 😀, \u0000';

/** The chunk object as OpenAI documents it, serialized whole: what the string-built chunks must equal. */
function reference(delta: Record<string, unknown>, finishReason: string | null, model = identity.model): string {
  return JSON.stringify({
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  });
}

describe('/v1 chunks built from strings', () => {
  test('are the JSON.stringify text of the whole chunk object, for every event with a chunk', () => {
    const cases: [RunEvent, string][] = [
      [{ type: 'run.started', run_id: 'r', conversation_id: null, message_id: null, model: 'm', provider: 'p', seq: 1, at: 1 }, reference({ role: 'assistant', content: '' }, null)],
      [{ type: 'message.delta', text: tricky, seq: 2, at: 2 }, reference({ content: tricky }, null)],
      [{ type: 'reasoning.delta', text: tricky, seq: 3, at: 3 }, reference({ reasoning_content: tricky }, null)],
      [
        { type: 'tool_call.delta', index: 1, id: 'call_1', name: 'f', arguments: '{"a":1}', seq: 4, at: 4 },
        reference({ tool_calls: [{ index: 1, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] }, null),
      ],
      [{ type: 'tool_call.delta', index: 0, arguments: 'x', seq: 5, at: 5 }, reference({ tool_calls: [{ index: 0, function: { arguments: 'x' } }] }, null)],
      [{ type: 'run.completed', message_id: null, finish_reason: 'length', usage, seq: 6, at: 6 }, reference({}, 'length')],
      [{ type: 'run.completed', message_id: null, finish_reason: 'cancelled', usage, seq: 7, at: 7 }, reference({}, 'stop')],
      [{ type: 'run.cancelled', message_id: null, usage, seq: 8, at: 8 }, reference({}, 'stop')],
    ];
    for (const [event, expected] of cases) assert.equal(chunkFor(identity, event), expected, event.type);
    assert.equal(chunkFor(identity, { type: 'thinking.step', step: { step: 1, status: 'reasoning', message: 'm', progress: 10, timestamp: 't' }, seq: 9, at: 9 }), undefined);
  });

  test('the stream view names the fallback target in every chunk after run.target, the role chunk first', () => {
    const view = chatCompletionView(identity, false);
    const state = view.initial();
    const started: RunEvent = { type: 'run.started', run_id: 'r', conversation_id: null, message_id: null, model: 'm', provider: 'p', seq: 1, at: 1 };
    assert.equal(view.map(state, started), undefined);
    assert.equal(view.map(state, { type: 'run.target', provider: 'q', model: 'served', seq: 2, at: 2 }), undefined);
    const first = view.map(state, { type: 'message.delta', text: 'Hi', seq: 3, at: 3 });
    assert.deepEqual(first, [{ data: reference({ role: 'assistant', content: '' }, null, 'served') }, { data: reference({ content: 'Hi' }, null, 'served') }]);
    assert.deepEqual(view.map(state, { type: 'message.delta', text: '!', seq: 4, at: 4 }), { data: reference({ content: '!' }, null, 'served') });
  });

  test('frameSse frames one-line data as one data: line, multi-line data as one per line', () => {
    assert.equal(frameSse({ data: '{"a":1}' }, 'r:1'), 'id: r:1\ndata: {"a":1}\n\n');
    assert.equal(frameSse({ event: 'e', data: 'x\r\ny' }), 'event: e\ndata: x\ndata: y\n\n');
  });
});

describe('SseDataDecoder', () => {
  test('returns the events each chunk completes, a character split across chunks whole, and the last event at the end', () => {
    const decoder = new SseDataDecoder();
    const bytes = new TextEncoder().encode('data: é1\n\ndata: two\n\ndata: three\n');
    const split = bytes.indexOf(0xa9); // inside the two-byte é
    assert.deepEqual([...decoder.push(bytes.subarray(0, split))], []);
    assert.deepEqual([...decoder.push(bytes.subarray(split, 14))], ['é1']);
    assert.deepEqual([...decoder.push(bytes.subarray(14))], ['two']);
    assert.deepEqual([...decoder.end()], ['three']);
  });
});
