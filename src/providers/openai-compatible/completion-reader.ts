/**
 * How a whole, non-streamed `chat.completion`
 * (https://platform.openai.com/docs/api-reference/chat/object) becomes parts:
 * validated against its schema, then read as a stream of one chunk whose
 * `delta` is the whole `message`, by the same {@link ChunkMapper} as a stream
 * (reasoning fields, `<think>` tags, refusals, tool calls, usage and cost,
 * finish reason). Only the envelope differs from a stream.
 */
import type { ParleyError } from '../../errors.js';
import type { ResponseHeaders } from '../provider-utils/retry-after.js';
import { badResponseError, type UpstreamCallContext } from '../provider-utils/upstream-errors.js';
import { checkAnswer, type WholeAnswerReader } from '../provider-utils/whole-answer.js';
import type { StreamPart } from '../types.js';
import { completionValidator, type ChatCompletion, type ChatCompletionChunk } from './chunk-schema.js';
import { fromErrorBody, fromHttpStatus } from './errors.js';
import { OpenAIStreamReader } from './stream-reader.js';

/** The completion as the one chunk a stream of it would be: each choice's `message` as its `delta`. */
function asChunk(completion: ChatCompletion): ChatCompletionChunk {
  return {
    choices: completion.choices?.map((choice) => ({ index: choice.index, delta: choice.message, finish_reason: choice.finish_reason })),
    usage: completion.usage,
    error: completion.error,
  };
}

/** Reader of one whole OpenAI-compatible answer (see {@link WholeAnswerReader}). */
export class OpenAICompletionReader implements WholeAnswerReader {
  constructor(private readonly context: UpstreamCallContext) {}

  httpError(status: number, headers: ResponseHeaders, bodyText: string): ParleyError {
    return fromHttpStatus(status, headers, bodyText, this.context);
  }

  read(bodyText: string): readonly StreamPart[] {
    const { context } = this;
    const checked = checkAnswer(completionValidator, bodyText, context);
    if (!checked.ok) return [{ type: 'error', error: checked.error }];
    const completion = checked.value;
    // A 200 without choices is an error body (`{"detail": …}`, `{"message": …}`) or nothing usable.
    if ((completion.error === undefined || completion.error === null) && (completion.choices ?? []).length === 0) {
      return [{ type: 'error', error: fromErrorBody(completion, context) ?? badResponseError(context, 'no choices', undefined, 'answer') }];
    }
    return new OpenAIStreamReader(context).whole(asChunk(completion));
  }
}
