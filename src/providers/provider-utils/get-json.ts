/**
 * A bounded `GET` of a JSON document (model lists): the headers must arrive
 * within a limit, the body is read up to a size, and every failure is a
 * {@link ParleyError}.
 */
import { request, type Dispatcher } from 'undici';
import { ParleyError } from '../../errors.js';
import { ERROR_BODY_LIMIT_BYTES, readBodyText } from './read-body.js';
import type { ResponseHeaders } from './retry-after.js';
import { fromTransportError, type UpstreamCallContext } from './upstream-errors.js';

/** OpenRouter's full model list is a few MiB; anything far beyond that is not a model list. */
export const MODEL_LIST_LIMIT_BYTES = 32 * 1024 * 1024;

/** What {@link getJson} fetches. */
export interface JsonCall {
  url: string;
  dispatcher: Dispatcher;
  headers: Record<string, string>;
  context: UpstreamCallContext;
  /** Milliseconds to wait for the response headers. */
  headersTimeoutMs: number;
  /** Largest accepted body; longer ones fail with `upstream_bad_response`. */
  limitBytes: number;
  /** Maps a non-2xx answer (its body's first 8 KiB) to the error thrown. */
  httpError(status: number, headers: ResponseHeaders, bodyText: string): ParleyError;
  /** Aborts the call; its abort reason is rethrown as is. */
  signal?: AbortSignal;
}

/**
 * Fetches and parses a JSON document.
 * @returns the parsed body (any JSON value; the caller checks its shape).
 * @throws ParleyError from `httpError`, `upstream_timeout` / `upstream_unavailable`
 *   for transport failures, `upstream_bad_response` for an oversized or non-JSON body.
 */
export async function getJson(call: JsonCall): Promise<unknown> {
  const { context, signal } = call;
  let response: Dispatcher.ResponseData;
  try {
    response = await request(call.url, {
      method: 'GET',
      dispatcher: call.dispatcher,
      headers: call.headers,
      headersTimeout: call.headersTimeoutMs,
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (error) {
    if (signal?.aborted === true) throw error;
    throw fromTransportError(error, context, false);
  }
  const ok = response.statusCode >= 200 && response.statusCode < 300;
  const limit = ok ? call.limitBytes : ERROR_BODY_LIMIT_BYTES;
  let text: string;
  try {
    const read = await readBodyText(response.body, limit);
    text = read.text;
    if (read.truncated && ok) {
      throw new ParleyError('upstream_bad_response', `Provider "${context.provider}" sent a model list over ${Math.round(limit / 1024 / 1024)} MiB.`);
    }
  } catch (error) {
    if (error instanceof ParleyError) throw error;
    if (signal?.aborted === true) throw error;
    throw fromTransportError(error, context, true);
  } finally {
    if (!response.body.readableEnded) response.body.destroy();
  }
  if (!ok) throw call.httpError(response.statusCode, response.headers, text);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ParleyError('upstream_bad_response', `Provider "${context.provider}" sent a model list that is not JSON.`, { cause: error });
  }
}
