/**
 * One streamed upstream call, the same for every provider (after vercel/ai
 * `provider-utils`' `postJsonToApi` + `createEventSourceResponseHandler`): POST a
 * JSON body, wait for the first byte within a limit, decode the server-sent
 * events, re-arm an idle timer on every chunk, and turn every way the call can
 * fail into a last `error` part. What the events mean is the provider's
 * {@link EventStreamReader}; this module knows no provider.
 */
import { setImmediate as nextEventLoopTurn } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { ParleyError } from '../../errors.js';
import type { StreamPart } from '../types.js';
import { BodyChunks } from './body-chunks.js';
import { ERROR_BODY_LIMIT_BYTES, readBodyText } from './read-body.js';
import type { ResponseHeaders } from './retry-after.js';
import { EventLoopSlice, SseDataDecoder } from './sse-decoder.js';
import {
  errorCode,
  firstByteTimeoutError,
  fromTransportError,
  idleTimeoutError,
  streamCutOffError,
  type UpstreamCallContext,
} from './upstream-errors.js';

/** After the end of the answer, at most this much more body is read to free the connection for reuse. */
const DRAIN_LIMIT_BYTES = 64 * 1024;
const DRAIN_TIMEOUT_MS = 1_000;

type ResponseBody = Dispatcher.ResponseData['body'];

/**
 * A connection pool for one provider: HTTP/1.1 keep-alive, so sequential
 * streams reuse one TCP (and TLS) connection. At most `maxConnections` are open
 * at once (undefined or 0: no limit); calls beyond it wait for a free one.
 * Close it with `close()`.
 */
export function createConnectionPool(maxConnections?: number): Agent {
  const connections = maxConnections === undefined || maxConnections === 0 ? null : maxConnections;
  return new Agent({ keepAliveTimeout: 30_000, connections, pipelining: 1 });
}

/** Default request headers, then the configured ones (names lower-cased so a configured header replaces a default). */
export function mergeHeaders(defaults: Record<string, string>, configured: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(defaults)) headers[name.toLowerCase()] = value;
  for (const [name, value] of Object.entries(configured)) headers[name.toLowerCase()] = value;
  return headers;
}

/** What {@link streamEvents} sends and how long it waits. */
export interface EventStreamCall {
  url: string;
  dispatcher: Dispatcher;
  headers: Record<string, string>;
  /**
   * The request body: JSON as UTF-8 bytes. Bytes, not a string: undici sends a
   * Buffer as it is, where it would keep the string and its own Buffer copy
   * of it for the whole call (two copies of the prompt per open stream).
   */
  body: Uint8Array;
  context: UpstreamCallContext;
  /**
   * Milliseconds to wait for the response headers (counted from when the
   * request is written to a connection, not while it waits for one), then
   * again for the first body byte, before failing with `upstream_timeout`.
   * Once a byte arrives, `idleTimeoutMs` bounds the gaps instead.
   */
  firstByteTimeoutMs: number;
  /** Once streaming, fail with `upstream_timeout` when no byte arrives for this long (ms). */
  idleTimeoutMs: number;
  /** The caller's signal: aborting it aborts the request and ends the stream without an error part. */
  signal: AbortSignal;
}

/**
 * How one provider reads its answer. Stateful, one per call; every method is
 * synchronous so the per-event path allocates nothing beyond the parts.
 */
export interface EventStreamReader {
  /** Maps a non-2xx answer (its body's first 8 KiB as text) to an error. */
  httpError(status: number, headers: ResponseHeaders, bodyText: string): ParleyError;
  /**
   * Maps a 2xx JSON answer where an event stream was expected (a server or
   * proxy that ignored streaming, or reports an error with a 200).
   */
  jsonInsteadOfStream(bodyText: string): ParleyError;
  /**
   * Maps one event's `data`. The parts are yielded in order; an `error` part
   * must be the last one returned and ends the stream.
   */
  read(data: string): readonly StreamPart[];
  /** True once the provider's end-of-stream event (`[DONE]`, `message_stop`) was read: reading stops. */
  readonly ended: boolean;
  /** True once the answer is complete (a finish reason was read): a body that ends or breaks afterwards loses nothing. */
  readonly finished: boolean;
  /** Closing parts of a complete stream: held-back text, a `finish` if none was read, usage. */
  complete(): readonly StreamPart[];
  /** Closing parts of a failed stream: held-back text, usage so far, then the `error` part. */
  fail(error: ParleyError): readonly StreamPart[];
}

/**
 * Reads the rest of a finished response so its connection returns to the pool.
 * Gives up after {@link DRAIN_TIMEOUT_MS}: a server that keeps the body open
 * past the end of the answer loses its socket instead of stalling the stream's end.
 */
async function drainForReuse(body: ResponseBody, bytesRead: number): Promise<void> {
  // A plain timer: `AbortSignal.timeout` per stream costs a signal and a weakly held timer.
  const timer = setTimeout(() => body.destroy(), DRAIN_TIMEOUT_MS);
  try {
    await body.dump({ limit: bytesRead + DRAIN_LIMIT_BYTES });
  } catch {
    body.destroy();
    return;
  } finally {
    clearTimeout(timer);
  }
  if (body.destroyed && !body.readableEnded) return;
  // With pipelining 1 undici hands a finished socket back to the pool one event
  // loop turn later (client-h1 `setImmediate(client[kResume])`); waiting that turn
  // lets the caller's next request reuse it instead of opening a new connection.
  await nextEventLoopTurn();
}

/** Ignores an error event. */
function ignore(): void {}

/**
 * Destroys a body this stream stops reading, which aborts its request. undici
 * then emits an abort error on it that no one else may be listening for.
 */
function discard(body: ResponseBody, error?: Error): void {
  body.on('error', ignore);
  body.destroy(error);
}

/**
 * POSTs `call.body` and streams the answer through `reader`. Never throws: HTTP
 * errors, timeouts, connection failures, malformed events and cut-off streams
 * arrive as a final `error` part (after whatever the reader held back). Aborting
 * `call.signal`, or leaving the `for await` early, aborts the upstream request
 * and ends the stream without an error part.
 */
export async function* streamEvents(call: EventStreamCall, reader: EventStreamReader): AsyncGenerator<StreamPart> {
  const callerSignal = call.signal;
  if (callerSignal.aborted) return;
  const { context } = call;
  // No controller of its own (one with its listener on the caller's signal is
  // ~400 B per open stream): undici aborts on the caller's signal itself, and
  // a timeout, an early leave (break / return) or an error destroys the body,
  // which aborts the request just the same.
  // Until the response headers, undici's `headersTimeout` bounds the wait: it
  // starts when the request is written to a connection, so time spent queued
  // for a free connection (PARLEY_UPSTREAM_MAX_CONNECTIONS) is not counted as
  // provider silence. Then one timer: the wait for the first body byte, then
  // the idle limit between chunks. It counts only while the loop waits for the
  // upstream (`waiting`): a run held back by a slow reader (RunEventLog.room)
  // is not upstream silence. Re-armed per chunk with `refresh()`, which moves
  // the timer in place (clearTimeout + setTimeout per chunk made a timer each).
  let timedOut = false;
  let waiting = true;
  const timeOut = (): void => {
    if (!waiting) return;
    timedOut = true;
    if (body !== undefined) discard(body, new Error('upstream timeout'));
  };
  let timer: NodeJS.Timeout | undefined;
  let body: ResponseBody | undefined;
  let bytesRead = 0;

  try {
    const response = await request(call.url, {
      method: 'POST',
      dispatcher: call.dispatcher,
      headers: call.headers,
      body: call.body,
      headersTimeout: call.firstByteTimeoutMs,
      signal: callerSignal,
    });
    body = response.body;
    if (response.statusCode < 200 || response.statusCode >= 300) {
      const { text } = await readBodyText(body, ERROR_BODY_LIMIT_BYTES);
      yield* reader.fail(reader.httpError(response.statusCode, response.headers, text));
      return;
    }
    const contentType = String(response.headers['content-type'] ?? '').toLowerCase();
    if (contentType.startsWith('application/json')) {
      const { text } = await readBodyText(body, ERROR_BODY_LIMIT_BYTES);
      yield* reader.fail(reader.jsonInsteadOfStream(text));
      return;
    }

    timer = setTimeout(timeOut, call.firstByteTimeoutMs);
    // One loop from bytes to parts: decoding and reading are synchronous
    // (SseDataDecoder, EventStreamReader), so a chunk costs one await (the
    // body's) rather than one per stacked async generator.
    const decoder = new SseDataDecoder();
    const slice = new EventLoopSlice();
    // Not destroyed when the answer ends, so the connection can be drained and reused.
    const chunks = new BodyChunks(body);
    try {
      reading: for (;;) {
        const chunk = chunks.read();
        if (chunk === null) {
          if (chunks.ended) break;
          await chunks.wait();
          continue;
        }
        waiting = false;
        if (bytesRead === 0) {
          // The first byte came: from now on the timer bounds the gaps.
          clearTimeout(timer);
          timer = setTimeout(timeOut, call.idleTimeoutMs);
        }
        bytesRead += chunk.byteLength;
        slice.arrived();
        const events = decoder.push(chunk);
        for (let index = 0; index < events.length; index += 1) {
          for (const part of reader.read(events[index]!)) {
            yield part;
            if (part.type === 'error') return;
          }
          if (reader.ended) break reading;
          if (slice.spent) await slice.turn();
        }
        slice.waiting();
        waiting = true;
        timer.refresh();
      }
    } finally {
      chunks.release();
    }
    waiting = false;
    if (!reader.ended) {
      for (const data of decoder.end().slice()) {
        for (const part of reader.read(data)) {
          yield part;
          if (part.type === 'error') return;
        }
        if (reader.ended) break;
      }
    }
    if (!reader.ended && !reader.finished) {
      yield* reader.fail(streamCutOffError(context, bytesRead > 0));
      return;
    }
    // Not `yield*`: over an array it wraps an async-from-sync iterator, ~0.5 µs per stream.
    for (const part of reader.complete()) yield part;
  } catch (error) {
    if (callerSignal.aborted) return;
    if (timedOut || errorCode(error) === 'UND_ERR_HEADERS_TIMEOUT') {
      yield* reader.fail(bytesRead === 0 ? firstByteTimeoutError(context, call.firstByteTimeoutMs) : idleTimeoutError(context, call.idleTimeoutMs));
    } else if (reader.finished) {
      // The connection broke after the finish reason: the answer itself is complete.
      yield* reader.complete();
    } else if (error instanceof ParleyError) {
      yield* reader.fail(error);
    } else {
      yield* reader.fail(fromTransportError(error, context, bytesRead > 0));
    }
  } finally {
    clearTimeout(timer);
    if (body !== undefined && !body.destroyed) {
      if ((reader.ended || reader.finished || body.readableEnded) && !callerSignal.aborted) {
        await drainForReuse(body, bytesRead);
      } else {
        discard(body);
      }
    }
  }
}
