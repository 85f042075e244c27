/**
 * How the shared event-stream transport reads an OpenAI chat completions
 * stream: `data:` payloads are JSON chunks until `data: [DONE]`; a chunk is
 * validated against the chunk schema, then mapped by {@link ChunkMapper}.
 */
import type { ParleyError } from '../../errors.js';
import { JsonEventStreamReader, type ProviderErrorMapper } from '../provider-utils/json-event-reader.js';
import type { UpstreamCallContext } from '../provider-utils/upstream-errors.js';
import type { StreamPart } from '../types.js';
import { ChunkMapper } from './chunk-mapper.js';
import { chunkValidator, type ChatCompletionChunk } from './chunk-schema.js';
import { fromErrorBody, fromHttpStatus } from './errors.js';

const NOTHING: readonly StreamPart[] = [];

/** The provider's error mapping, shared: an object per reader would cost every open stream its bytes. */
const ERRORS: ProviderErrorMapper = { fromHttpError: fromHttpStatus, fromErrorBody };

/** Reader of one OpenAI-compatible stream (see {@link JsonEventStreamReader}). */
export class OpenAIStreamReader extends JsonEventStreamReader<ChatCompletionChunk> {
  private readonly mapper: ChunkMapper;
  private sawDone = false;

  constructor(context: UpstreamCallContext) {
    super(context, ERRORS, chunkValidator, 'chunk');
    this.mapper = new ChunkMapper(context);
  }

  get ended(): boolean {
    return this.sawDone;
  }

  get finished(): boolean {
    return this.mapper.finished;
  }

  override read(data: string): readonly StreamPart[] {
    if (data === '[DONE]') {
      this.sawDone = true;
      return NOTHING;
    }
    return super.read(data);
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

  /**
   * Maps a whole non-streamed answer given as its only chunk, then closes it
   * as a stream that ended with `[DONE]` would be closed (unless it failed).
   */
  whole(chunk: ChatCompletionChunk): readonly StreamPart[] {
    const parts = this.map(chunk);
    return parts.at(-1)?.type === 'error' ? parts : [...parts, ...this.complete()];
  }

  protected map(chunk: ChatCompletionChunk): readonly StreamPart[] {
    return this.mapper.map(chunk);
  }

  private usage(): StreamPart[] {
    const usage = this.mapper.usage;
    return usage === undefined ? [] : [{ type: 'usage', usage }];
  }
}
