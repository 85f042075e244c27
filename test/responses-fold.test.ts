import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { prefersHtml } from '../src/http/surfaces/playground/landing.js';
import type { ResponseIdentity } from '../src/http/surfaces/openai-responses/objects.js';
import { foldResponsesEvents, foldResponsesStream } from '../src/http/surfaces/openai-responses/stream.js';
import type { RunEvent, RunEventPayload } from '../src/runs/events.js';

const usage = { prompt_tokens: 4, completion_tokens: 6, reasoning_tokens: 2, cached_tokens: 1 };
const identity = (background: boolean): ResponseIdentity => ({
  id: 'resp_0123456789abcdef0123456789abcdef',
  model: 'm',
  previousResponseId: null,
  createdAt: '2025-01-01T00:00:00.000Z',
  settings: { model: 'm', instructions: null, metadata: null, temperature: null, top_p: null, max_output_tokens: null, tools: [], tool_choice: 'auto', background, store: true },
});

function events(...payloads: RunEventPayload[]): RunEvent[] {
  return payloads.map((payload, index) => ({ ...payload, seq: index + 1, at: 0 }));
}
const started: RunEventPayload = { type: 'run.started', run_id: 'r', conversation_id: null, message_id: null, model: 'm', provider: 'p' };

describe('Responses stream fold (pure)', () => {
  test('a run failing mid-answer closes its item as incomplete and ends with response.failed carrying the error', () => {
    const { frames, state } = foldResponsesEvents(
      identity(false),
      events(started, { type: 'message.delta', text: 'Part' }, { type: 'run.failed', message_id: null, error: { code: 'upstream_timeout', message: 'Stalled.', retryable: true }, usage }),
    );
    assert.deepEqual(
      frames.map((frame) => frame.type),
      [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.failed',
      ],
    );
    assert.deepEqual(frames.map((frame) => frame.sequence_number), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const failed = frames.at(-1)!.response as { status: string; error: unknown; output: { status: string }[]; usage: { input_tokens: number } };
    assert.equal(failed.status, 'failed');
    assert.deepEqual(failed.error, { code: 'upstream_timeout', message: 'Stalled.' });
    assert.equal(failed.output[0]?.status, 'incomplete');
    assert.equal(failed.usage.input_tokens, 4);
    assert.deepEqual(foldResponsesStream(identity(false), state, { type: 'message.delta', text: 'late', seq: 9, at: 0 }).frames, []);
  });

  test('a background response is queued until its first output, and a length finish is response.incomplete', () => {
    const { frames } = foldResponsesEvents(identity(true), events(started, { type: 'usage', usage }, { type: 'reasoning.delta', text: 'hm' }, { type: 'run.completed', message_id: null, finish_reason: 'length', usage }));
    assert.deepEqual(
      frames.map((frame) => [frame.type, (frame.response as { status?: string } | undefined)?.status]),
      [
        ['response.created', 'queued'],
        ['response.queued', 'queued'],
        ['response.in_progress', 'in_progress'],
        ['response.output_item.added', undefined],
        ['response.content_part.added', undefined],
        ['response.reasoning_text.delta', undefined],
        ['response.reasoning_text.done', undefined],
        ['response.content_part.done', undefined],
        ['response.output_item.done', undefined],
        ['response.incomplete', 'incomplete'],
      ],
    );
    assert.deepEqual((frames.at(-1)!.response as { incomplete_details: unknown }).incomplete_details, { reason: 'max_output_tokens' });
  });

  test('replaying the same events yields the same frames, which is what starting_after relies on', () => {
    const log = events(started, { type: 'message.delta', text: 'a' }, { type: 'message.delta', text: 'b' }, { type: 'run.completed', message_id: null, finish_reason: 'stop', usage });
    assert.deepEqual(foldResponsesEvents(identity(false), log).frames, foldResponsesEvents(identity(false), log).frames);
  });
});

describe('GET / content negotiation', () => {
  test('browsers get HTML; curl, API clients and ties get JSON', () => {
    assert.equal(prefersHtml('text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8'), true);
    assert.equal(prefersHtml('*/*'), false);
    assert.equal(prefersHtml(undefined), false);
    assert.equal(prefersHtml('application/json'), false);
    assert.equal(prefersHtml('application/json, text/html'), false);
    assert.equal(prefersHtml('text/html;q=0.5, application/json;q=0.4'), true);
    assert.equal(prefersHtml('text/*, application/json;q=0.1'), true);
  });
});
