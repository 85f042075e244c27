import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError } from '../src/errors.js';
import { MAX_EVENT_CHARACTERS, SseDataDecoder } from '../src/providers/provider-utils/sse-decoder.js';
import { decodeSseData } from './helpers/stream-adapters.js';

const encoder = new TextEncoder();

async function* chunksOf(...pieces: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) {
    await Promise.resolve(); // each network read completes asynchronously
    yield typeof piece === 'string' ? encoder.encode(piece) : piece;
  }
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<string[]> {
  const events: string[] = [];
  for await (const data of decodeSseData(body)) events.push(data);
  return events;
}

/** Splits the UTF-8 bytes of `text` at byte `at`. */
function splitBytes(text: string, at: number): [Uint8Array, Uint8Array] {
  const bytes = encoder.encode(text);
  return [bytes.subarray(0, at), bytes.subarray(at)];
}

describe('decodeSseData', () => {
  it('joins a two-byte character split across network chunks', async () => {
    const text = 'data: caf\u00e9\n\n';
    const cut = encoder.encode('data: caf').length + 1; // inside the two bytes of "é"
    const [first, second] = splitBytes(text, cut);
    assert.deepEqual(await collect(chunksOf(first, second)), ['café']);
  });

  it('joins a four-byte emoji split into single bytes', async () => {
    const bytes = encoder.encode('data: hi 😀!\n\n');
    const pieces = [...bytes].map((byte) => Uint8Array.of(byte));
    assert.deepEqual(await collect(chunksOf(...pieces)), ['hi 😀!']);
  });

  it('handles CRLF line endings, also when CR and LF arrive in different chunks', async () => {
    const events = await collect(chunksOf('data: one\r\n\r\ndata: two\r', '\n\r\n', 'data: three\r\n\r\n'));
    assert.deepEqual(events, ['one', 'two', 'three']);
  });

  it('handles bare CR line endings', async () => {
    assert.deepEqual(await collect(chunksOf('data: one\r\rdata: two\r\r')), ['one', 'two']);
  });

  it('joins multi-line data with a newline, as the SSE spec says', async () => {
    const events = await collect(chunksOf('data: first line\ndata: second line\ndata:third\n\n'));
    assert.deepEqual(events, ['first line\nsecond line\nthird']);
  });

  it('ignores comments, event names, ids and retry fields', async () => {
    const events = await collect(
      chunksOf(': keep-alive\n\n', ': OPENROUTER PROCESSING\n\n', 'event: message\nid: 7\nretry: 1000\ndata: {"a":1}\n\n'),
    );
    assert.deepEqual(events, ['{"a":1}']);
  });

  it('yields the [DONE] sentinel like any other data and keeps reading', async () => {
    const events = await collect(chunksOf('data: {"a":1}\n\n', 'data: [DONE]\n\n', 'data: after\n\n'));
    assert.deepEqual(events, ['{"a":1}', '[DONE]', 'after']);
  });

  it('ends quietly when the stream ends without [DONE]', async () => {
    assert.deepEqual(await collect(chunksOf('data: {"a":1}\n\n', 'data: {"b":2}\n\n')), ['{"a":1}', '{"b":2}']);
  });

  it('keeps a last event whose line is complete but whose blank line never came', async () => {
    assert.deepEqual(await collect(chunksOf('data: one\n\n', 'data: two\n')), ['one', 'two']);
  });

  it('drops a last line cut off mid-way', async () => {
    assert.deepEqual(await collect(chunksOf('data: one\n\n', 'data: {"tru')), ['one']);
  });

  it('reassembles events split at arbitrary points', async () => {
    const events = await collect(chunksOf('da', 'ta: {"x"', ':1}\n', '\ndata', ': y\n\n'));
    assert.deepEqual(events, ['{"x":1}', 'y']);
  });

  it('decodes malformed UTF-8 split at every byte as the whole body decodes', async () => {
    const body = Uint8Array.of(...encoder.encode('data: a'), 0xe0, 0x80, 0x41, 0xf0, 0x9f, 0x98, 0xc0, 0xff, 0xe2, 0x82, ...encoder.encode('\n\n'));
    const expected = new TextDecoder().decode(body).slice('data: '.length, -2);
    assert.ok(expected.includes('\ufffd'));
    for (let at = 1; at < body.length; at += 1) {
      assert.deepEqual(await collect(chunksOf(body.subarray(0, at), body.subarray(at))), [expected], `split at byte ${at}`);
    }
  });

  it('reads a bare `data` line as an empty data line', async () => {
    assert.deepEqual(await collect(chunksOf('data\ndata: x\n\ndata\n\n')), ['\nx', '']);
  });

  it('strips a byte order mark cut across chunks, and only at the start', async () => {
    assert.deepEqual(await collect(chunksOf(Uint8Array.of(0xef, 0xbb), Uint8Array.of(0xbf), 'data: \ufeffok\n\n')), ['\ufeffok']);
  });

  it('fails with upstream_bad_response when one event outgrows the limit', () => {
    const decoder = new SseDataDecoder();
    const piece = encoder.encode('x'.repeat(1024 * 1024));
    decoder.push(encoder.encode('data: '));
    assert.throws(
      () => {
        for (let read = 0; read <= MAX_EVENT_CHARACTERS; read += piece.length) decoder.push(piece);
      },
      (error: unknown) => error instanceof ParleyError && error.code === 'upstream_bad_response',
    );
  });

  it('strips a UTF-8 byte order mark at the start', async () => {
    assert.deepEqual(await collect(chunksOf(Uint8Array.of(0xef, 0xbb, 0xbf), 'data: ok\n\n')), ['ok']);
  });

  it('yields each event before the next network chunk is read', async () => {
    const reads: string[] = [];
    async function* tracked(): AsyncGenerator<Uint8Array> {
      await Promise.resolve();
      reads.push('first');
      yield encoder.encode('data: one\n\n');
      reads.push('second');
      yield encoder.encode('data: two\n\n');
    }
    const iterator = decodeSseData(tracked());
    assert.deepEqual(await iterator.next(), { value: 'one', done: false });
    assert.deepEqual(reads, ['first']);
    await iterator.return(undefined);
  });
});
