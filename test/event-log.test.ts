import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryRunEventLog } from '../src/runs/event-log.js';

const usage = { prompt_tokens: 0, completion_tokens: 0, reasoning_tokens: 0, cached_tokens: 0 };
const delta = (text: string) => ({ type: 'message.delta' as const, text });
const done = { type: 'run.completed' as const, message_id: null, finish_reason: 'stop' as const, usage };

describe('in-memory run event log', () => {
  test('a reader tailing a run gets every event once, in order, including those appended while it waits', async () => {
    const log = new MemoryRunEventLog(60);
    log.append('run-1', delta('a'));
    const seen: number[] = [];
    const reading = (async () => {
      for await (const event of log.read('run-1', 0)) seen.push(event.seq);
    })();
    await new Promise((resolve) => setTimeout(resolve, 5));
    log.append('run-1', delta('b'));
    log.append('run-1', delta('c'));
    log.append('run-1', done);
    await reading;
    assert.deepEqual(seen, [1, 2, 3, 4]);
    log.close();
  });

  test('keeps at most maxEndedRuns finished runs, dropping the oldest; running runs are kept', () => {
    const log = new MemoryRunEventLog(60, 2);
    log.append('running', delta('still going'));
    for (const runId of ['old', 'middle', 'new']) {
      log.append(runId, delta('x'));
      log.append(runId, done);
    }
    assert.deepEqual(['running', 'old', 'middle', 'new'].map((runId) => log.has(runId)), [true, false, true, true]);
    log.close();
  });
});
