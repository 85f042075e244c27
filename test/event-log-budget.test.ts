import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventBytes, MemoryRunEventLog } from '../src/runs/event-log.js';
import type { RunEvent } from '../src/runs/events.js';

const usage = { prompt_tokens: 0, completion_tokens: 0, reasoning_tokens: 0, cached_tokens: 0 };
const delta = (text: string) => ({ type: 'message.delta' as const, text });
const done = { type: 'run.completed' as const, message_id: null, finish_reason: 'stop' as const, usage };
const kilobyte = 'x'.repeat(1024);
const perEvent = eventBytes(delta(kilobyte));

describe('run event log byte budget', () => {
  test('finished runs are dropped, oldest first, to make room for a running one', async () => {
    const log = new MemoryRunEventLog(60, 100, Date.now, { maxBytes: perEvent * 4 + eventBytes(done) * 2 });
    log.append('old', delta(kilobyte));
    log.append('old', delta(kilobyte));
    log.append('old', done);
    log.append('newer', delta(kilobyte));
    log.append('newer', done);
    assert.ok(log.append('running', delta(kilobyte)) !== undefined);
    assert.ok(log.append('running', delta(kilobyte)) !== undefined);
    assert.equal(await log.has('old'), false, 'the oldest finished run made room');
    assert.equal(await log.has('newer'), true, 'no more was dropped than needed');
    assert.ok(log.heldBytes <= perEvent * 4 + eventBytes(done) * 2);
    await log.close();
  });

  test('a running run whose next event does not fit ends with run_log_full and its writer is told to stop', async () => {
    const log = new MemoryRunEventLog(60, 100, Date.now, { maxBytes: perEvent * 2 });
    log.append('other', delta(kilobyte));
    assert.ok(log.append('run', delta(kilobyte)) !== undefined);
    const returned = log.append('run', delta(kilobyte));
    assert.equal(returned?.type, 'run.failed', 'the writer gets the terminal event the log ended the run with');
    const events = (await log.snapshot('run'))!;
    const last = events.at(-1)!;
    assert.deepEqual(last, returned);
    assert.equal(last.type, 'run.failed');
    assert.equal(last.type === 'run.failed' && last.error.code, 'run_log_full');
    assert.equal(log.append('run', delta('more')), undefined, 'an ended run takes nothing more');
    await log.close();
  });

  test('a consuming reader leaves only what it has not read in the log, and the run is dropped once both ended', async () => {
    const log = new MemoryRunEventLog(60);
    log.append('run', delta(kilobyte));
    log.append('run', delta(kilobyte));
    const iterator = log.read('run', 0, undefined, { consume: true })[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.deepEqual((first.value as RunEvent[]).map((event) => event.seq), [1, 2]);
    log.append('run', delta(kilobyte));
    const second = await iterator.next();
    assert.deepEqual((second.value as RunEvent[]).map((event) => event.seq), [3]);
    assert.equal(log.heldBytes, perEvent, 'the first batch was dropped once the reader moved past it');
    log.append('run', done);
    const last = await iterator.next();
    assert.deepEqual((last.value as RunEvent[]).map((event) => event.type), ['run.completed']);
    assert.equal((await iterator.next()).done, true);
    assert.equal(await log.has('run'), false);
    assert.equal(log.heldBytes, 0);
    await log.close();
  });

  test('the writer waits (room) while the consuming reader is behind, and goes on once it caught up or left', async () => {
    const log = new MemoryRunEventLog(60, 100, Date.now, { readAheadBytes: perEvent * 2 });
    log.append('run', delta(kilobyte));
    const controller = new AbortController();
    const iterator = log.read('run', 0, controller.signal, { consume: true })[Symbol.asyncIterator]();
    await iterator.next();
    assert.equal(log.room('run'), undefined, 'nothing unread yet');
    log.append('run', delta(kilobyte));
    log.append('run', delta(kilobyte));
    log.append('run', delta(kilobyte));
    const room = log.room('run');
    assert.ok(room !== undefined, 'three unread events exceed the read-ahead');
    let resolved = false;
    void room.then(() => (resolved = true));
    await Promise.resolve();
    assert.equal(resolved, false);
    await iterator.next();
    // Asking for the next batch means the reader is done with this one.
    const tailing = iterator.next();
    await room;
    assert.equal(resolved, true);
    log.append('run', delta(kilobyte));
    log.append('run', delta(kilobyte));
    log.append('run', delta(kilobyte));
    const waiting = log.room('run');
    assert.ok(waiting !== undefined);
    controller.abort();
    await tailing;
    assert.equal((await iterator.next()).done, true);
    await waiting;
    assert.equal(log.room('run'), undefined, 'nobody reads it: no waiting');
    assert.equal(log.heldBytes, 0, 'events of a run nobody reads are not held');
    assert.ok(log.append('run', done) !== undefined);
    assert.equal(await log.has('run'), false);
    await log.close();
  });
});
