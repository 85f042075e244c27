/**
 * One non-streamed upstream call, for callers that wait for the whole answer
 * anyway (StreamOptions.wholeAnswer): POST a JSON body, read the JSON answer
 * whole, and let the provider's {@link WholeAnswerReader} turn it into the same
 * parts a stream would have given. Failures map as on the stream path
 * (./event-stream.ts): HTTP errors by the provider's mapper, transport failures
 * and timeouts by ./upstream-errors.ts, always as one last `error` part.
 */
import { request, type Dispatcher } from 'undici';
import type { ParleyError } from '../../errors.js';
import type { StreamPart } from '../types.js';
import type { EventStreamCall, EventStreamReader } from './event-stream.js';
import { checkSchema, type SchemaValidator } from './json-event-reader.js';
import { ERROR_BODY_LIMIT_BYTES, readBodyText } from './read-body.js';
import type { ResponseHeaders } from './retry-after.js';
import { badResponseError, errorCode, firstByteTimeoutError, fromTransportError, idleTimeoutError, parseJsonOrUndefined, type UpstreamCallContext } from './upstream-errors.js';

/**
 * Largest whole answer read: far beyond any completion a model can return
 * (128k tokens of text are well under 1 MiB), bounded so a broken server
 * cannot exhaust memory.
 */
export const WHOLE_ANSWER_LIMIT_BYTES = 16 * 1024 * 1024;

/** How one provider reads a whole answer. Stateful, one per call. */
export interface WholeAnswerReader {
  /** Maps a non-2xx answer (its body's first 8 KiB as text) to an error. */
  httpError(status: number, headers: ResponseHeaders, bodyText: string): ParleyError;
  /**
   * Maps a 2xx body: the parts of the answer in stream order (reasoning,
   * message, tool calls, finish, usage), or ending with an `error` part for a
   * body that is not a valid answer.
   */
  read(bodyText: string): readonly StreamPart[];
}

/**
 * Parses a whole answer's JSON text and checks it against its schema.
 * @returns the typed answer, or the parsed JSON (undefined if it is not JSON)
 *   with an `upstream_bad_response` naming the answer; never throws.
 */
export function checkAnswer<T>(
  validator: SchemaValidator<T>,
  bodyText: string,
  context: UpstreamCallContext,
): { ok: true; value: T } | { ok: false; json: unknown; error: ParleyError } {
  const json = parseJsonOrUndefined(bodyText);
  const validation = checkSchema(validator, json, 'answer');
  if (validation.ok) return validation;
  return { ok: false, json, error: badResponseError(context, json === undefined ? 'the body is not JSON' : validation.reason, undefined, 'answer') };
}

/**
 * A whole answer read by the provider's stream reader, so the mapping is the
 * stream's: `events` gives the parts of the events a stream of this answer
 * would have carried (for Gemini the one chunk its `GenerateContentResponse`
 * is), then the answer closes as a stream whose body ended there: complete
 * once it ended or finished, otherwise `upstream_bad_response` (a whole
 * answer cannot be cut off).
 */
export class StreamedWholeAnswer implements WholeAnswerReader {
  constructor(
    private readonly reader: EventStreamReader,
    private readonly context: UpstreamCallContext,
    private readonly events: (bodyText: string) => readonly StreamPart[],
  ) {}

  httpError(status: number, headers: ResponseHeaders, bodyText: string): ParleyError {
    return this.reader.httpError(status, headers, bodyText);
  }

  read(bodyText: string): readonly StreamPart[] {
    const { reader } = this;
    const parts = this.events(bodyText);
    if (parts.at(-1)?.type === 'error') return parts;
    if (!reader.ended && !reader.finished) return [...parts, ...reader.fail(badResponseError(this.context, 'it has no finish reason', undefined, 'answer'))];
    return [...parts, ...reader.complete()];
  }
}

/**
 * How long a whole answer may take: it is silent until it is complete, so the
 * wait for the response headers is `firstByteTimeoutMs` (what a stream may
 * wait for its first token) plus `idleTimeoutMs` (one stall's allowance for the
 * generation); then every gap in the body is bounded by `idleTimeoutMs`, as
 * in a stream. Answers that take longer to generate must be streamed.
 */
export function wholeAnswerWaitMs(call: Pick<EventStreamCall, 'firstByteTimeoutMs' | 'idleTimeoutMs'>): number {
  return call.firstByteTimeoutMs + call.idleTimeoutMs;
}

function transportFailure(error: unknown, call: EventStreamCall, afterHeaders: boolean): ParleyError {
  const { context } = call;
  const code = errorCode(error);
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return firstByteTimeoutError(context, wholeAnswerWaitMs(call));
  if (code === 'UND_ERR_BODY_TIMEOUT') return idleTimeoutError(context, call.idleTimeoutMs);
  return fromTransportError(error, context, afterHeaders);
}

/** Reads a response's body as text: a whole answer up to its limit, an error body up to 8 KiB. */
async function answerText(response: Dispatcher.ResponseData, context: UpstreamCallContext): Promise<{ ok: boolean; text: string; error?: ParleyError }> {
  const ok = response.statusCode >= 200 && response.statusCode < 300;
  const { text, truncated } = await readBodyText(response.body, ok ? WHOLE_ANSWER_LIMIT_BYTES : ERROR_BODY_LIMIT_BYTES);
  if (!ok || !truncated) return { ok, text };
  return { ok, text, error: badResponseError(context, `longer than ${WHOLE_ANSWER_LIMIT_BYTES / 1024 / 1024} MiB`, undefined, 'answer') };
}

/**
 * POSTs `call.body` and yields the parts `reader` makes of the whole answer,
 * all at once. Never throws: HTTP errors, timeouts (see {@link wholeAnswerWaitMs}),
 * connection failures and malformed answers arrive as one `error` part.
 * Aborting `call.signal` aborts the request and yields nothing more.
 */
export async function* postWholeAnswer(call: EventStreamCall, reader: WholeAnswerReader): AsyncGenerator<StreamPart> {
  const { signal } = call;
  if (signal.aborted) return;
  let response: Dispatcher.ResponseData | undefined;
  let parts: readonly StreamPart[];
  try {
    response = await request(call.url, {
      method: 'POST',
      dispatcher: call.dispatcher,
      headers: call.headers,
      body: call.body,
      // Counted from when the request is written, not while it waits for a free connection.
      headersTimeout: wholeAnswerWaitMs(call),
      bodyTimeout: call.idleTimeoutMs,
      signal,
    });
    const { ok, text, error } = await answerText(response, call.context);
    if (error !== undefined) parts = [{ type: 'error', error }];
    else parts = ok ? reader.read(text) : [{ type: 'error', error: reader.httpError(response.statusCode, response.headers, text) }];
  } catch (error) {
    if (signal.aborted) return;
    parts = [{ type: 'error', error: transportFailure(error, call, response !== undefined) }];
  } finally {
    // A body read to its end has freed its connection; one cut short must not be reused.
    if (response !== undefined && !response.body.readableEnded) response.body.destroy();
  }
  yield* parts;
}
