/**
 * How the shared event-stream transport reads an OpenAI chat completions
 * stream: `data:` payloads are JSON chunks until `data: [DONE]`; a chunk is
 * validated against the chunk schema, then mapped by {@link ChunkMapper}.
 */
import type { ParleyError } from '../../errors.js';
import type { EventStreamReader } from '../provider-utils/event-stream.js';
import type { ResponseHeaders } from '../provider-utils/retry-after.js';
import { badResponseError, parseJsonOrUndefined, type UpstreamCallContext } from '../provider-utils/upstream-errors.js';
import type { StreamPart } from '../types.js';
import { ChunkMapper } from './chunk-mapper.js';
import { validateChunk } from './chunk-schema.js';
import { fromHttpStatus, fromStreamError, parseErrorDetails } from './errors.js';

const NOTHING: readonly StreamPart[] = [];

/** Reader of one OpenAI-compatible stream (see {@link EventStreamReader}). */
export class OpenAIStreamReader implements EventStreamReader {
  private readonly mapper: ChunkMapper;
  private sawDone = false;

  constructor(private readonly context: UpstreamCallContext) {
    this.mapper = new ChunkMapper(context);
  }

  get ended(): boolean {
    return this.sawDone;
  }

  get finished(): boolean {
    return this.mapper.finished;
  }

  httpError(status: number, headers: ResponseHeaders, bodyText: string): ParleyError {
    return fromHttpStatus(status, headers, bodyText, this.context);
  }

  jsonInsteadOfStream(bodyText: string): ParleyError {
    const details = parseErrorDetails(parseJsonOrUndefined(bodyText));
    return details.message === undefined
      ? badResponseError(this.context, 'expected an event stream, got a JSON body')
      : fromStreamError(details.message, this.context);
  }

  read(data: string): readonly StreamPart[] {
    if (data === '[DONE]') {
      this.sawDone = true;
      return NOTHING;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch (error) {
      return this.fail(badResponseError(this.context, 'data is not JSON', error));
    }
    const validation = validateChunk(json);
    if (!validation.ok) return this.fail(badResponseError(this.context, validation.reason));
    return this.mapper.map(validation.chunk);
  }

  complete(): readonly StreamPart[] {
    const parts = this.mapper.flush();
    // [DONE] without any finish_reason is still a complete answer.
    if (!this.mapper.finished) parts.push({ type: 'finish', finish_reason: 'stop' });
    return [...parts, ...this.usage()];
  }

  fail(error: ParleyError): readonly StreamPart[] {
    return [...this.mapper.flush(), ...this.usage(), { type: 'error', error }];
  }

  private usage(): StreamPart[] {
    const usage = this.mapper.usage;
    return usage === undefined ? [] : [{ type: 'usage', usage }];
  }
}
