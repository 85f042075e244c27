import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventBytes, eventsOf, MemoryRunEventLog } from '../src/runs/event-log.js';

const usage = { prompt_tokens: 0, completion_tokens: 0, reasoning_tokens: 0, cached_tokens: 0 };
const delta = (text: string) => ({ type: 'message.delta' as const, text });
const done = { type: 'run.completed' as const, message_id: null, finish_reason: 'stop' as const, usage };
const cancelled = { type: 'run.cancelled' as const, message_id: null, usage };

describe('in-memory run event log', () => {
  test('a reader tailing a run gets every event once, in order, including those appended while it waits', async () => {
    const log = new MemoryRunEventLog(60);
    log.append('run-1', delta('a'));
    const seen: number[] = [];
    const reading = (async () => {
      for await (const event of eventsOf(log, 'run-1', 0)) seen.push(event.seq);
    })();
    await new Promise((resolve) => setTimeout(resolve, 5));
    log.append('run-1', delta('b'));
    log.append('run-1', delta('c'));
    log.append('run-1', done);
    await reading;
    assert.deepEqual(seen, [1, 2, 3, 4]);
    await log.close();
  });

  test('a reader gets what arrived while it waited as one batch, and stops after the batch with the terminal event', async () => {
    const log = new MemoryRunEventLog(60);
    log.append('run-1', delta('a'));
    const batches: number[][] = [];
    const iterator = log.read('run-1', 0)[Symbol.asyncIterator]();
    batches.push((await iterator.next()).value.map((event: { seq: number }) => event.seq));
    const waiting = iterator.next();
    log.append('run-1', delta('b'));
    log.append('run-1', delta('c'));
    log.append('run-1', done);
    batches.push((await waiting).value.map((event: { seq: number }) => event.seq));
    assert.deepEqual(batches, [[1], [2, 3, 4]]);
    assert.equal((await iterator.next()).done, true);
    await log.close();
  });

  test('forget() drops an ended run once its last reader is done, leaves a running run alone', async () => {
    const log = new MemoryRunEventLog(60);
    log.append('running', delta('a'));
    await log.forget('running');
    assert.equal(await log.has('running'), true, 'a running run is not forgotten');
    log.append('run-1', delta('a'));
    log.append('run-1', done);
    const iterator = log.read('run-1', 0)[Symbol.asyncIterator]();
    const first = await iterator.next();
    await log.forget('run-1');
    assert.equal(await log.has('run-1'), true, 'held while a reader is still on it');
    assert.deepEqual(first.value.map((event: { seq: number }) => event.seq), [1, 2]);
    assert.equal((await iterator.next()).done, true);
    assert.equal(await log.has('run-1'), false, 'dropped when the reader finished');
    log.append('run-2', done);
    await log.forget('run-2');
    assert.equal(await log.has('run-2'), false, 'dropped at once without readers');
    assert.equal(log.heldBytes, eventBytes(delta('a')), 'only the running run is held');
    await log.close();
  });

  test('every event carries the time it was logged', async () => {
    let now = 1_000;
    const log = new MemoryRunEventLog(60, 10, () => now);
    log.append('run-1', delta('a'));
    now = 1_250;
    const ended = log.append('run-1', done);
    assert.deepEqual(ended && [ended.seq, ended.at], [2, 1_250]);
    assert.deepEqual((await log.snapshot('run-1'))?.map((event) => event.at), [1_000, 1_250]);
    await log.close();
  });

  test('end() appends a terminal event for a run that has none, once; the run\'s own appends then stop', async () => {
    const log = new MemoryRunEventLog(60);
    log.append('run-1', delta('a'));
    const tail = (async () => {
      const seen: string[] = [];
      for await (const event of eventsOf(log, 'run-1', 1)) seen.push(event.type);
      return seen;
    })();
    assert.equal((await log.end('run-1', cancelled))?.seq, 2);
    assert.deepEqual(await tail, ['run.cancelled']);
    assert.equal(await log.end('run-1', cancelled), undefined, 'a run ends once');
    assert.equal(log.append('run-1', delta('late')), undefined, 'the writer learns the run was ended');
    assert.equal(await log.end('unknown', cancelled), undefined);
    assert.equal(await log.has('unknown'), false);
    await log.close();
  });

  test('keeps at most maxEndedRuns finished runs, dropping the oldest; running runs are kept', async () => {
    const log = new MemoryRunEventLog(60, 2);
    log.append('running', delta('still going'));
    for (const runId of ['old', 'middle', 'new']) {
      log.append(runId, delta('x'));
      log.append(runId, done);
    }
    assert.deepEqual(await Promise.all(['running', 'old', 'middle', 'new'].map((runId) => log.has(runId))), [true, false, true, true]);
    await log.close();
  });
});
