/**
 * The run's streaming loop (runs/run.ts) over a scripted provider: every part
 * reaches the log in order, the observer sees a run's first text delta only,
 * a failure before the first part is retried, and thinking steps are derived
 * in the same synchronous pass.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ParleyError } from '../src/errors.js';
import type { Provider, StreamPart } from '../src/providers/types.js';
import { MemoryRunEventLog } from '../src/runs/event-log.js';
import type { RunEventPayload } from '../src/runs/events.js';
import { TargetCooldown } from '../src/runs/fallback.js';
import { executeRun, type RunContext } from '../src/runs/run.js';
import type { Store } from '../src/store/index.js';

const usage = { prompt_tokens: 4, completion_tokens: 3, reasoning_tokens: 0, cached_tokens: 0 };

/** A provider whose n-th call streams `attempts[n]`. */
function scripted(attempts: readonly (readonly StreamPart[])[]): Provider & { calls: number } {
  return {
    name: 'scripted',
    defaultModel: 'm',
    calls: 0,
    async *stream() {
      const parts = attempts[this.calls] ?? [];
      this.calls += 1;
      for (const part of parts) {
        await Promise.resolve();
        yield part;
      }
    },
    listModels: () => Promise.resolve([]),
    close: () => Promise.resolve(),
  };
}

/** Runs `provider` with a stateless context; returns the logged payload types, the observed ones and the outcome. */
async function run(provider: Provider, thinking: RunContext['thinking'] = 'auto') {
  const log = new MemoryRunEventLog(60);
  const observed: RunEventPayload[] = [];
  const finished: unknown[] = [];
  const store = { finishRun: (...args: unknown[]) => Promise.resolve(void finished.push(args)) } as unknown as Store;
  const terminal = await executeRun({
    id: 'run-1',
    ownerId: 'o',
    conversationId: null,
    messageId: null,
    targets: [{ provider, model: 'm' }],
    fallback: false,
    cooldown: new TargetCooldown(0),
    request: { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
    thinking,
    maxRetries: 1,
    log,
    store,
    controller: new AbortController(),
    observer: { event: (_runId, payload) => void observed.push(payload), storeFailed: () => {} },
  });
  const logged = (await log.snapshot('run-1')) ?? [];
  return { terminal, logged, observed, finished };
}

describe('run streaming loop', () => {
  test('logs every part in order and reports only the first text delta to the observer', async () => {
    const provider = scripted([
      [
        { type: 'reasoning.delta', text: 'Plan one.\n\nPlan two.' },
        { type: 'message.delta', text: 'Hel' },
        { type: 'message.delta', text: 'lo' },
        { type: 'message.delta', text: '!' },
        { type: 'finish', finish_reason: 'stop' },
        { type: 'usage', usage },
      ],
    ]);
    const { terminal, logged, observed } = await run(provider);
    assert.equal(terminal.type, 'run.completed');
    assert.deepEqual(
      logged.map((event) => event.type),
      ['reasoning.delta', 'thinking.step', 'thinking.step', 'message.delta', 'message.delta', 'message.delta', 'usage', 'run.completed'],
    );
    assert.deepEqual(
      logged.map((event) => event.seq),
      logged.map((_event, index) => index + 1),
    );
    assert.equal(logged.filter((event) => event.type === 'message.delta').map((event) => (event.type === 'message.delta' ? event.text : '')).join(''), 'Hello!');
    assert.deepEqual(
      observed.map((payload) => payload.type),
      ['reasoning.delta', 'thinking.step', 'thinking.step', 'usage', 'run.completed'],
    );
  });

  test('a failure before the first part is retried; the retry answers', async () => {
    const provider = scripted([
      [{ type: 'error', error: new ParleyError('upstream_unavailable', 'down') }],
      [
        { type: 'message.delta', text: 'ok' },
        { type: 'finish', finish_reason: 'stop' },
      ],
    ]);
    const { terminal, logged } = await run(provider, 'off');
    assert.equal(provider.calls, 2);
    assert.equal(terminal.type, 'run.completed');
    assert.deepEqual(
      logged.map((event) => event.type),
      ['message.delta', 'run.completed'],
    );
  });

  test('a failure after the first part fails the run without a retry', async () => {
    const provider = scripted([
      [
        { type: 'message.delta', text: 'partial' },
        { type: 'error', error: new ParleyError('upstream_unavailable', 'cut') },
      ],
      [{ type: 'message.delta', text: 'never' }],
    ]);
    const { terminal } = await run(provider, 'structured');
    assert.equal(provider.calls, 1);
    assert.equal(terminal.type, 'run.failed');
  });
});
