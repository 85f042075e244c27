import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { foldRun, pureFoldView, statelessView, type StreamView } from '../src/http/streaming/stream-view.js';
import type { RunEvent } from '../src/runs/events.js';

const usage = { prompt_tokens: 0, completion_tokens: 0, reasoning_tokens: 0, cached_tokens: 0 };
const run: RunEvent[] = [
  { type: 'run.started', run_id: 'r', conversation_id: null, message_id: null, model: 'm', provider: 'p', seq: 1, at: 1 },
  { type: 'message.delta', text: 'ab', seq: 2, at: 2 },
  { type: 'message.delta', text: 'cde', seq: 3, at: 3 },
  { type: 'run.completed', message_id: null, finish_reason: 'stop', usage, seq: 4, at: 4 },
];

async function* batches(...groups: RunEvent[][]): AsyncGenerator<readonly RunEvent[]> {
  for (const group of groups) yield group;
}

/** Folds the run split into `groups`, returning the positioned frames and how many flushes happened. */
async function fold<State, Frame>(view: StreamView<State, Frame>, after: number, groups: RunEvent[][] = [run]) {
  const frames: [Frame, number][] = [];
  let flushes = 0;
  const end = await foldRun(batches(...groups), view, after, {
    frame: (frame, position) => frames.push([frame, position]),
    flush: () => Promise.resolve((flushes += 1) > 0),
  });
  return { frames, flushes, end };
}

/** One frame per character of answer text, and `done` + a trailer at the end. */
const perCharacter = pureFoldView<number, string>(
  {
    initial: () => 0,
    step: (count, event) => {
      if (event.type === 'message.delta') return { state: count + event.text.length, frames: [...event.text] };
      if (event.type === 'run.completed') return { state: count, frames: [`done:${count}`] };
      return { state: count, frames: [] };
    },
  },
  { resume: 'frame', earlyFailure: 'event', trailer: (count) => [`trailer:${count}`] },
);

describe('streaming-view fold', () => {
  test('event positions: every frame carries the seq of its event, the trailer the terminal one; resuming drops frames at or before it', async () => {
    const view = statelessView((event) => (event.type === 'message.delta' ? event.text : event.type === 'run.completed' ? 'end' : undefined), {
      resume: 'event',
      earlyFailure: 'status',
      trailer: () => ['[DONE]'],
    });
    assert.deepEqual((await fold(view, 0)).frames, [['ab', 2], ['cde', 3], ['end', 4], ['[DONE]', 4]]);
    assert.deepEqual((await fold(view, 3)).frames, [['end', 4], ['[DONE]', 4]]);
  });

  test('frame positions: frames are numbered from 1 across the run, and a resume after any number yields exactly the rest', async () => {
    const full = (await fold(perCharacter, 0)).frames;
    assert.deepEqual(full, [['a', 1], ['b', 2], ['c', 3], ['d', 4], ['e', 5], ['done:5', 6], ['trailer:5', 7]]);
    for (let after = 0; after <= full.length; after += 1) assert.deepEqual((await fold(perCharacter, after)).frames, full.slice(after));
  });

  test('frames do not depend on how the events were batched; one flush per batch, and the fold ends with the terminal batch', async () => {
    const whole = await fold(perCharacter, 0);
    const split = await fold(perCharacter, 0, [[run[0]!], [run[1]!, run[2]!], [run[3]!]]);
    assert.deepEqual(split.frames, whole.frames);
    assert.deepEqual([whole.flushes, split.flushes], [1, 3]);
    assert.equal(split.end, 'ended');
    assert.equal((await fold(perCharacter, 0, [[run[0]!, run[1]!]])).end, 'cut');
  });
});
