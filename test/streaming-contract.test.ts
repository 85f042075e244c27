/**
 * The streaming contract every streaming surface keeps (DESIGN.md "Views"),
 * asserted the same way over all of them (test/helpers/streaming-surfaces.ts):
 * exactly one terminal frame per stream, resume from any frame id, a
 * disconnect that keeps the run going (or, for stateless `/v1`, cancels it),
 * an explicit cancel, and provider failures before and after the first token.
 * Driven by real clients against a real server and a real upstream process.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, test } from 'node:test';
import { mockScript } from '../src/providers/mock/script.js';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { STREAMING_SURFACES, type ContractFrame, type OpenedStream, type StreamingSurface } from './helpers/streaming-surfaces.js';

const CHUNKS = 24;

/** The upstream's answer to `prompt`. */
function upstreamAnswer(prompt: string): string {
  return mockScript({ model: 'mock-model', messages: [{ role: 'user', content: prompt }] }, { chunkCount: CHUNKS }).content.join('');
}

async function take(stream: OpenedStream, count: number): Promise<ContractFrame[]> {
  const frames: ContractFrame[] = [];
  while (frames.length < count) {
    const next = await stream.frames.next();
    if (next.done === true) break;
    frames.push(next.value);
  }
  return frames;
}

const rest = (stream: OpenedStream) => take(stream, Number.POSITIVE_INFINITY);

describe('streaming contract', () => {
  let upstream: MockUpstreamProcess;
  let server: RunningParley;
  let sessions = 0;

  before(async () => {
    // 24 chunks at 40 a second: an answer streams for about 0.6 s, long enough to cut into.
    upstream = await spawnMockUpstream(['--chunks', String(CHUNKS), '--token-rate', '40']);
    server = await startParley({ PARLEY_PROVIDER_BASE_URL: upstream.url, MODEL_NAME: 'mock-model', PARLEY_UPSTREAM_RETRIES: '0' });
  });
  after(async () => {
    await server.stop();
    await upstream.stop();
  });
  beforeEach(() => upstream.admin.reset());

  const session = () => `contract-${(sessions += 1)}`;
  const runRecord = async (runId: string) => (await requestJson(`${server.url}/runs/${runId}`)).body as { status: string; conversation_id: string | null; message_id: string | null };
  const runCount = async () => (await requestJson(`${server.url}/usage`)).body.totals.runs as number;

  /** Waits until the run is no longer streaming; resolves with its record. */
  async function settled(runId: string) {
    for (let attempt = 0; attempt < 300; attempt += 1) {
      const run = await runRecord(runId);
      if (run.status !== 'streaming') return run;
      await sleep(20);
    }
    throw new Error(`run ${runId} never ended`);
  }

  /** The run's stored answer (undefined for runs that write none, like `/v1`). */
  async function storedAnswer(runId: string): Promise<{ status: string; content: string } | undefined> {
    const run = await settled(runId);
    if (run.conversation_id === null || run.message_id === null) return undefined;
    const { messages } = (await requestJson(`${server.url}/conversations/${run.conversation_id}/messages`)).body as { messages: { id: string; status: string; content: string }[] };
    // A regenerated or cleared answer may be off the listing; the contract's answers are the latest.
    return messages.find((message) => message.id === run.message_id);
  }

  function runIdOf(surface: StreamingSurface, frames: readonly ContractFrame[]): string {
    const runId = frames.map((frame) => surface.runOf(frame)).find((id) => id !== undefined);
    assert.ok(runId !== undefined, `a frame names the run: ${JSON.stringify(frames.slice(0, 3))}`);
    return runId;
  }

  /** Asserts exactly one terminal frame, with only trailer frames (sharing its id) after it; returns its ending. */
  function oneTerminal(surface: StreamingSurface, frames: readonly ContractFrame[]): string {
    const terminal = frames.map((frame, index) => ({ index, ending: surface.ending(frame) })).filter((entry) => entry.ending !== undefined);
    assert.equal(terminal.length, 1, `exactly one terminal frame in ${JSON.stringify(frames.slice(-4))}`);
    const [{ index, ending }] = terminal as [{ index: number; ending: string }];
    for (const trailer of frames.slice(index + 1)) assert.equal(trailer.id, frames[index]!.id, 'frames after the terminal one share its position');
    return ending;
  }

  for (const surface of STREAMING_SURFACES) {
    describe(surface.name, () => {
      test('a complete stream ends with exactly one terminal frame, and the answer it carries is the one stored', async () => {
        const prompt = 'tell me everything';
        const stream = await surface.open(server, prompt, session());
        assert.equal(stream.status, 200);
        const frames = await rest(stream);
        assert.equal(oneTerminal(surface, frames), 'completed');
        const runId = runIdOf(surface, frames);
        assert.equal(surface.text(frames), upstreamAnswer(prompt));
        assert.equal((await settled(runId)).status, 'complete');
        const stored = await storedAnswer(runId);
        if (stored !== undefined) assert.deepEqual([stored.status, stored.content], ['complete', upstreamAnswer(prompt)]);
      });

      test('resumes from any frame id: exactly the frames after it, from the same run, and no new run', { skip: surface.resumable ? false : 'not resumable' }, async () => {
        const prompt = 'resume me anywhere';
        const name = session();
        const reference = await rest(await surface.open(server, prompt, name));
        const runId = runIdOf(surface, reference);
        const runs = await runCount();
        assert.deepEqual(await rest(await surface.resume(server, prompt, name, runId, undefined)), reference, 'a replay from the start is the very same stream');
        for (const [index, frame] of reference.entries()) {
          // Frames of one event share its id (e.g. a trailer): a resume after the id skips them all.
          let last = index;
          while (last + 1 < reference.length && reference[last + 1]!.id === frame.id) last += 1;
          const resumed = await rest(await surface.resume(server, prompt, name, runId, frame));
          assert.deepEqual(resumed, reference.slice(last + 1), `resumed after frame ${index + 1} (${frame.id})`);
        }
        assert.equal(await runCount(), runs, 'resuming started no run');
      });

      test('a client that reconnects mid-stream gets every remaining frame once and in order', { skip: surface.resumable ? false : 'not resumable' }, async () => {
        const prompt = 'I will drop and come back';
        const name = session();
        const first = await surface.open(server, prompt, name);
        const seen = await take(first, 2);
        await first.drop();
        const runId = runIdOf(surface, seen);
        const resumed = await rest(await surface.resume(server, prompt, name, runId, seen.at(-1)));
        const all = [...seen, ...resumed];
        assert.equal(oneTerminal(surface, all), 'completed');
        assert.deepEqual(all, await rest(await surface.resume(server, prompt, name, runId, undefined)));
        assert.equal(surface.text(all), upstreamAnswer(prompt));
      });

      test(surface.disconnect === 'continues' ? 'a client that disconnects does not stop the run' : 'a client that disconnects cancels its run', async () => {
        const prompt = 'keep going without me';
        const stream = await surface.open(server, prompt, session());
        const runId = runIdOf(surface, await take(stream, 2));
        await stream.drop();
        const run = await settled(runId);
        assert.equal(run.status, surface.disconnect === 'continues' ? 'complete' : 'cancelled');
        const stored = await storedAnswer(runId);
        if (stored !== undefined) assert.deepEqual([stored.status, stored.content], ['complete', upstreamAnswer(prompt)]);
      });

      test('an explicit cancel ends the stream with exactly one terminal frame; the partial text is stored as cancelled', async () => {
        const prompt = 'stop me half way';
        const stream = await surface.open(server, prompt, session());
        const seen = await take(stream, 2);
        const runId = runIdOf(surface, seen);
        if (stream.cancel === undefined) assert.equal((await requestJson(`${server.url}/runs/${runId}/cancel`, { method: 'POST' })).status, 200);
        else await stream.cancel();
        const frames = [...seen, ...(await rest(stream))];
        const ending = oneTerminal(surface, frames);
        if (surface.showsCancel) assert.equal(ending, 'cancelled');
        assert.equal((await settled(runId)).status, 'cancelled');
        const text = surface.text(frames);
        assert.ok(text.length < upstreamAnswer(prompt).length && upstreamAnswer(prompt).startsWith(text), `partial text: ${JSON.stringify(text)}`);
        const stored = await storedAnswer(runId);
        if (stored !== undefined) assert.deepEqual([stored.status, stored.content], ['cancelled', text]);
      });

      test('a provider failure mid-answer ends the stream with exactly one terminal frame; the partial text is stored as failed', async () => {
        await upstream.admin.setOptions({ dropAfter: 6, faultTimes: 1 });
        const stream = await surface.open(server, 'break half way', session());
        assert.equal(stream.status, 200);
        const frames = await rest(stream);
        assert.equal(oneTerminal(surface, frames), 'failed');
        const runId = runIdOf(surface, frames);
        assert.equal((await settled(runId)).status, 'failed');
        const stored = await storedAnswer(runId);
        if (stored !== undefined) assert.deepEqual([stored.status, stored.content], ['failed', surface.text(frames)]);
      });

      test(
        surface.earlyFailure === 'status' ? 'a provider failure before the first token is the HTTP status' : 'a provider failure before the first token is the one terminal frame of the stream',
        async () => {
          await upstream.admin.setOptions({ failStatus: 429, retryAfterSeconds: 3, faultTimes: 1 });
          const stream = await surface.open(server, 'fail at once', session());
          if (surface.earlyFailure === 'status') {
            assert.deepEqual([stream.status, stream.errorCode], [429, 'upstream_rate_limited']);
            return;
          }
          assert.equal(stream.status, 200);
          const frames = await rest(stream);
          assert.equal(oneTerminal(surface, frames), 'failed');
          assert.equal(surface.text(frames), '');
        },
      );
    });
  }
});
