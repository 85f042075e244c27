/**
 * The synchronous stream stages of src/ as async generators, for tests that
 * feed them an async source: production code drives SseDataDecoder and
 * ThinkingTransform directly, one network chunk or provider part at a time
 * (providers/provider-utils/event-stream.ts, runs/run.ts).
 */
import type { StreamPart } from '../../src/providers/types.js';
import { EventLoopSlice, SseDataDecoder } from '../../src/providers/provider-utils/sse-decoder.js';
import { ThinkingTransform, type RunPart, type ThinkingMode } from '../../src/runs/thinking/index.js';

/** The `data` of each SSE event of `body`, in order, as event-stream.ts decodes them (slices of a flood included). */
export async function* decodeSseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new SseDataDecoder();
  const slice = new EventLoopSlice();
  for await (const chunk of body) {
    slice.arrived();
    const events = decoder.push(chunk);
    for (let index = 0; index < events.length; index += 1) {
      yield events[index]!;
      if (slice.spent) await slice.turn();
    }
    slice.waiting();
  }
  yield* decoder.end().slice();
}

/** Applies `mode` to a provider stream, as run.ts does part by part. */
export async function* applyThinking(mode: ThinkingMode, parts: AsyncIterable<StreamPart>): AsyncGenerator<RunPart> {
  const transform = new ThinkingTransform(mode);
  for await (const part of parts) yield* transform.push(part).slice();
  yield* transform.finish().slice();
}
