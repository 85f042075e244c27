/**
 * Stream-chunk mapping: Gemini `streamGenerateContent?alt=sse` events (each a
 * `GenerateContentResponse`) → provider-neutral {@link StreamPart}s, as the
 * shared event-stream transport's reader. Only candidate 0 is read: Parley never
 * asks for more.
 *
 * - text parts → `message.delta`; parts with `thought: true` → `reasoning.delta`;
 * - `functionCall` parts → one whole `tool_call.delta` each (id from Gemini, or
 *   generated when it sends none; arguments as JSON text);
 * - `thoughtSignature`s are kept for the answer's provider metadata;
 * - `usageMetadata` is cumulative: the last one wins and is sent once at the
 *   end, with `thoughtsTokenCount` as reasoning tokens and completion tokens
 *   counting them too, as OpenAI does;
 * - `finishReason`: `STOP` → `stop` (`tool_calls` when the answer called a
 *   function), `MAX_TOKENS` → `length`; `SAFETY`, `RECITATION`, `BLOCKLIST`,
 *   `PROHIBITED_CONTENT`, `SPII`, `IMAGE_SAFETY` and a blocked prompt
 *   (`promptFeedback.blockReason`) → a `content_filtered` failure naming the
 *   reason; `MALFORMED_FUNCTION_CALL` → `upstream_bad_response`;
 * - the stream has no end marker: it is complete once a finish reason was read.
 */
import { randomUUID } from 'node:crypto';
import { ParleyError } from '../../errors.js';
import { JsonEventStreamReader, type ProviderErrorMapper } from '../provider-utils/json-event-reader.js';
import type { UpstreamCallContext } from '../provider-utils/upstream-errors.js';
import { checkAnswer } from '../provider-utils/whole-answer.js';
import { emptyUsage, type FinishReason, type StreamPart, type Usage } from '../types.js';
import { responseValidator, type GoogleCandidate, type GoogleResponse, type GoogleSafetyRating, type GoogleUsageMetadata } from './chunk-schema.js';
import { errorDetails, fromErrorBody, fromGoogleError, fromHttpError } from './errors.js';
import { signatureMetadata, type ThoughtSignatures } from './metadata.js';

/** Finish reasons that mean Google's filters stopped the answer. */
const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']);

/** A tool call id for calls Gemini sends without one; OpenAI clients need an id to answer. */
function generatedCallId(): string {
  return `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
}

/** Categories a safety verdict blocked or rated high, for the failure message. */
function flaggedCategories(ratings: readonly GoogleSafetyRating[] | null | undefined): string[] {
  return (ratings ?? [])
    .filter((rating) => rating.blocked === true || rating.probability === 'HIGH')
    .map((rating) => rating.category ?? '')
    .filter((category) => category !== '');
}

/** The provider's error mapping, shared: an object per reader would cost every open stream its bytes. */
const ERRORS: ProviderErrorMapper = { fromHttpError, fromErrorBody };

/** Reader of one Gemini stream (see {@link JsonEventStreamReader}). */
export class GoogleStreamReader extends JsonEventStreamReader<GoogleResponse> {
  private usageMetadata: GoogleUsageMetadata | undefined;
  private readonly signatures: ThoughtSignatures = { toolCalls: {} };
  private toolCalls = 0;
  private finishReason: FinishReason | undefined;
  /** Whether any text, thought or function call went out. */
  private produced = false;

  constructor(context: UpstreamCallContext) {
    super(context, ERRORS, responseValidator, 'response');
  }

  /** Gemini streams have no end marker; the body's end is the end. */
  get ended(): boolean {
    return false;
  }

  get finished(): boolean {
    return this.finishReason !== undefined;
  }

  complete(): readonly StreamPart[] {
    return this.usagePart();
  }

  /**
   * Usage goes out only after output: a failure before any (a blocked prompt, an
   * error event) must stay a failure before the first part, which the run may
   * retry and a view may answer with an HTTP status.
   */
  fail(error: ParleyError): readonly StreamPart[] {
    return [...(this.produced ? this.usagePart() : []), { type: 'error', error }];
  }

  /**
   * Maps a whole `generateContent` answer (its JSON text): the same
   * `GenerateContentResponse` as one stream chunk, read as the stream's only
   * chunk; a body that is not one is `upstream_bad_response`.
   */
  readResponse(bodyText: string): readonly StreamPart[] {
    const validation = checkAnswer(responseValidator, bodyText, this.context);
    return validation.ok ? this.map(validation.value) : this.fail(validation.error);
  }

  protected map(response: GoogleResponse): readonly StreamPart[] {
    if (response.error !== undefined && response.error !== null) {
      return this.fail(fromGoogleError(undefined, {}, errorDetails(response), this.context, response));
    }
    if (response.usageMetadata !== undefined && response.usageMetadata !== null) this.usageMetadata = response.usageMetadata;
    const blockReason = response.promptFeedback?.blockReason;
    if (typeof blockReason === 'string' && blockReason !== '') {
      const categories = flaggedCategories(response.promptFeedback?.safetyRatings);
      return this.fail(
        new ParleyError(
          'content_filtered',
          `Provider "${this.context.provider}" blocked the prompt (${blockReason}${categories.length === 0 ? '' : `: ${categories.join(', ')}`}).`,
          { cause: response.promptFeedback },
        ),
      );
    }
    const candidate = response.candidates?.find((entry) => (entry.index ?? 0) === 0);
    if (candidate === undefined || this.finishReason !== undefined) return [];
    const parts = this.mapParts(candidate);
    if (parts.length > 0) this.produced = true;
    const finishReason = candidate.finishReason;
    if (typeof finishReason !== 'string' || finishReason === '' || finishReason === 'FINISH_REASON_UNSPECIFIED') return parts;
    if (FILTERED.has(finishReason)) {
      const categories = flaggedCategories(candidate.safetyRatings);
      const error = new ParleyError(
        'content_filtered',
        `Provider "${this.context.provider}" stopped the answer (${finishReason}${categories.length === 0 ? '' : `: ${categories.join(', ')}`}).`,
        { cause: { finishReason, safetyRatings: candidate.safetyRatings } },
      );
      return [...parts, ...this.fail(error)];
    }
    if (finishReason === 'MALFORMED_FUNCTION_CALL') {
      const said = candidate.finishMessage === undefined || candidate.finishMessage === null ? '' : `: ${candidate.finishMessage}`;
      return [...parts, ...this.fail(new ParleyError('upstream_bad_response', `Provider "${this.context.provider}" produced a malformed function call${said}`))];
    }
    this.finishReason = finishReason === 'MAX_TOKENS' ? 'length' : this.toolCalls > 0 ? 'tool_calls' : 'stop';
    const providerMetadata = signatureMetadata(this.signatures);
    parts.push({ type: 'finish', finish_reason: this.finishReason, ...(providerMetadata === undefined ? {} : { providerMetadata }) });
    return parts;
  }

  private mapParts(candidate: GoogleCandidate): StreamPart[] {
    const output: StreamPart[] = [];
    for (const part of candidate.content?.parts ?? []) {
      const signature = part.thoughtSignature ?? undefined;
      const call = part.functionCall ?? undefined;
      if (call !== undefined && typeof call.name === 'string' && call.name !== '') {
        const index = this.toolCalls;
        this.toolCalls += 1;
        if (signature !== undefined) this.signatures.toolCalls[index] = signature;
        output.push({
          type: 'tool_call.delta',
          index,
          id: call.id ?? generatedCallId(),
          name: call.name,
          arguments: JSON.stringify(call.args ?? {}),
        });
        continue;
      }
      const text = part.text ?? '';
      if (part.thought === true) {
        if (text !== '') output.push({ type: 'reasoning.delta', text });
        continue;
      }
      // Gemini puts the answer's signature on its last text part, often an empty one.
      if (signature !== undefined) this.signatures.text = signature;
      if (text !== '') output.push({ type: 'message.delta', text });
    }
    return output;
  }

  private usagePart(): StreamPart[] {
    return this.usageMetadata === undefined ? [] : [{ type: 'usage', usage: this.toUsage(this.usageMetadata) }];
  }

  private toUsage(metadata: GoogleUsageMetadata): Usage {
    const usage = emptyUsage();
    const thoughts = metadata.thoughtsTokenCount ?? 0;
    usage.prompt_tokens = metadata.promptTokenCount ?? 0;
    usage.completion_tokens = (metadata.candidatesTokenCount ?? 0) + thoughts;
    usage.reasoning_tokens = thoughts;
    usage.cached_tokens = metadata.cachedContentTokenCount ?? 0;
    return usage;
  }
}
