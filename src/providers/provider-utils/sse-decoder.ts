/**
 * Server-sent events → `data` strings, per the WHATWG HTML "Server-sent events"
 * parsing rules (https://html.spec.whatwg.org/multipage/server-sent-events.html),
 * using the maintained `eventsource-parser` rather than hand-split lines.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as nextEventLoopTurn } from 'node:timers/promises';
import { createParser } from 'eventsource-parser';
import { ParleyError } from '../../errors.js';

/** Largest event (partial line plus buffered `data:` lines) accepted, in characters. */
export const MAX_EVENT_CHARACTERS = 8 * 1024 * 1024;

/**
 * Longest stretch of events handled without giving the event loop a turn, ms.
 * A flooding upstream has its next bytes buffered already, so without a pause
 * its whole answer would run as one chain of microtasks and stall every other
 * request of the process (health checks, other streams).
 */
const SLICE_MS = 5;
/** A wait for the next network chunk this long means the event loop had turns meanwhile, ms. */
const IDLE_WAIT_MS = 1;

/**
 * Decodes an SSE byte stream into the `data` of each event, in order.
 *
 * - Bytes are decoded as UTF-8 with a streaming `TextDecoder`, so a multi-byte
 *   character split across network chunks arrives whole.
 * - LF, CRLF and CR line endings; multi-line `data:` joined with `\n`; comments
 *   (`: keep-alive`, OpenRouter's `: OPENROUTER PROCESSING`), `event:`, `id:` and
 *   `retry:` are handled by the parser and not yielded.
 * - Sentinels such as `[DONE]` are yielded like any other data; the caller decides.
 * - At the end of the body, an event whose last line is complete but whose blank
 *   line never came is still yielded (servers that close right after the last
 *   line lose nothing); a line cut off mid-way is discarded as the spec says.
 *
 * @param body raw response bytes, e.g. an undici body or a Node stream.
 * @throws ParleyError `upstream_bad_response` when one event exceeds
 *   {@link MAX_EVENT_CHARACTERS}; errors of `body` propagate unchanged.
 */
export async function* decodeSseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  const pending: string[] = [];
  let oversized = false;
  const parser = createParser({
    onEvent(event) {
      pending.push(event.data);
    },
    onError(error) {
      if (error.type === 'max-buffer-size-exceeded') oversized = true;
    },
    maxBufferSize: MAX_EVENT_CHARACTERS,
  });
  let lastText = '';

  const feed = (text: string) => {
    if (text === '') return;
    lastText = text;
    parser.feed(text);
    if (oversized) {
      throw new ParleyError('upstream_bad_response', `An upstream event exceeded ${MAX_EVENT_CHARACTERS} characters.`);
    }
  };

  let sliceStart = performance.now();
  let waitStart = sliceStart;
  for await (const chunk of body) {
    const arrived = performance.now();
    if (arrived - waitStart >= IDLE_WAIT_MS) sliceStart = arrived;
    feed(decoder.decode(chunk, { stream: true }));
    // Drain before reading on, so a slow consumer applies backpressure upstream.
    for (let index = 0; index < pending.length; index += 1) {
      yield pending[index]!;
      if (performance.now() - sliceStart >= SLICE_MS) {
        await nextEventLoopTurn();
        sliceStart = performance.now();
      }
    }
    pending.length = 0;
    waitStart = performance.now();
  }
  feed(decoder.decode());
  if (/[\r\n]$/.test(lastText)) parser.feed('\n\n');
  yield* pending;
}
