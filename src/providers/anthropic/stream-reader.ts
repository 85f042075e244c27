/**
 * Stream-chunk mapping: Anthropic Messages streaming events
 * (https://docs.anthropic.com/en/api/messages-streaming) → provider-neutral
 * {@link StreamPart}s, as the shared event-stream transport's reader.
 *
 * - `text_delta` → `message.delta`; `thinking_delta` → `reasoning.delta`;
 *   `signature_delta` completes the thinking block, which (with redacted blocks)
 *   is kept for the answer's provider metadata.
 * - `tool_use` blocks → `tool_call.delta` (id and name at the block's start, then
 *   each `input_json_delta`), numbered 0, 1, … in the order the calls start; a
 *   call whose input never streamed gets `{}` as its arguments.
 * - `message_start` / `message_delta` usage is cumulative: the last values win
 *   and are sent once at the end.
 * - `message_delta.stop_reason` → `finish` (`end_turn`, `stop_sequence`,
 *   `pause_turn` → `stop`; `max_tokens`, `model_context_window_exceeded` →
 *   `length`; `tool_use` → `tool_calls`); `refusal` → a `content_filtered`
 *   failure carrying Anthropic's explanation. `message_stop` ends the stream;
 *   `ping` is ignored; an `error` event fails it.
 */
import { ParleyError } from '../../errors.js';
import { JsonEventStreamReader, type ProviderErrorMapper } from '../provider-utils/json-event-reader.js';
import { sanitizeUpstreamMessage, type UpstreamCallContext } from '../provider-utils/upstream-errors.js';
import { checkAnswer } from '../provider-utils/whole-answer.js';
import { emptyUsage, type FinishReason, type StreamPart, type Usage } from '../types.js';
import { errorDetails, fromAnthropicError, fromErrorBody, fromHttpError } from './errors.js';
import { eventValidator, messageValidator, type AnthropicEvent, type AnthropicUsage } from './events.js';
import { thinkingMetadata, type ThinkingBlock } from './metadata.js';

const NOTHING: readonly StreamPart[] = [];

const FINISH_REASONS: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
};

/** A content block while it streams. */
type OpenBlock =
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; toolIndex: number; sentArguments: boolean }
  | { type: 'other' };

/** The provider's error mapping, shared: an object per reader would cost every open stream its bytes. */
const ERRORS: ProviderErrorMapper = { fromHttpError, fromErrorBody };

/** Reader of one Messages stream (see {@link JsonEventStreamReader}). */
export class AnthropicStreamReader extends JsonEventStreamReader<AnthropicEvent> {
  private readonly blocks = new Map<number, OpenBlock>();
  private readonly thinking: ThinkingBlock[] = [];
  private toolCalls = 0;
  private usage: AnthropicUsage = {};
  private sawUsage = false;
  private finishReason: FinishReason | undefined;
  private sawStop = false;
  /** Whether any text, thinking or tool call went out. */
  private produced = false;

  constructor(context: UpstreamCallContext) {
    super(context, ERRORS, eventValidator, 'event');
  }

  get ended(): boolean {
    return this.sawStop;
  }

  get finished(): boolean {
    return this.finishReason !== undefined;
  }

  complete(): readonly StreamPart[] {
    const parts: StreamPart[] = [];
    if (this.finishReason === undefined) {
      // `message_stop` without a stop reason: the answer is whole, so it stopped normally.
      this.finishReason = 'stop';
      parts.push(this.finish());
    }
    if (this.sawUsage) parts.push({ type: 'usage', usage: this.toUsage() });
    return parts;
  }

  /**
   * Usage goes out only after output: a failure before any (an `overloaded_error`
   * right after `message_start`, a refusal) must stay a failure before the first
   * part, which the run may retry and a view may answer with an HTTP status.
   */
  fail(error: ParleyError): readonly StreamPart[] {
    return [...(this.sawUsage && this.produced ? [{ type: 'usage', usage: this.toUsage() } as const] : []), { type: 'error', error }];
  }

  /**
   * Maps a whole, non-streamed answer (the JSON text of a `message`) as the
   * events a stream of it would have carried: `message_start` with its usage,
   * each content block started whole and stopped, `message_delta` with the
   * stop reason, `message_stop`. A 200 body naming an error fails as an
   * `error` event would; any other body that is no `message` is
   * `upstream_bad_response`.
   */
  readMessage(bodyText: string): readonly StreamPart[] {
    const validation = checkAnswer(messageValidator, bodyText, this.context);
    if (!validation.ok) return this.fail(fromErrorBody(validation.json, this.context) ?? validation.error);
    const { content, stop_reason: stopReason, stop_details: stopDetails, usage } = validation.value;
    const events: AnthropicEvent[] = [
      { type: 'message_start', message: usage === undefined ? {} : { usage } },
      ...content.flatMap((block, index) => [
        { type: 'content_block_start', index, content_block: block },
        { type: 'content_block_stop', index },
      ]),
      { type: 'message_delta', delta: { ...(stopReason === undefined ? {} : { stop_reason: stopReason }), ...(stopDetails === undefined ? {} : { stop_details: stopDetails }) } },
      { type: 'message_stop' },
    ];
    const parts: StreamPart[] = [];
    for (const event of events) {
      parts.push(...this.map(event));
      if (parts.at(-1)?.type === 'error') break;
    }
    return parts;
  }

  protected map(event: AnthropicEvent): readonly StreamPart[] {
    const parts = this.mapEvent(event);
    if (parts.length > 0 && parts[0]?.type !== 'error' && parts[0]?.type !== 'usage') this.produced = true;
    return parts;
  }

  private mapEvent(event: AnthropicEvent): readonly StreamPart[] {
    switch (event.type) {
      case 'message_start':
        this.addUsage(event.message?.usage);
        return NOTHING;
      case 'content_block_start':
        return this.startBlock(event);
      case 'content_block_delta':
        return this.delta(event);
      case 'content_block_stop':
        return this.stopBlock(event.index ?? 0);
      case 'message_delta':
        return this.messageDelta(event);
      case 'message_stop':
        this.sawStop = true;
        return NOTHING;
      case 'error':
        return this.fail(fromAnthropicError(undefined, {}, errorDetails(event), this.context, event));
      default:
        // `ping` and event types added after this adapter was written.
        return NOTHING;
    }
  }

  private startBlock(event: AnthropicEvent): readonly StreamPart[] {
    const block = event.content_block;
    const index = event.index ?? 0;
    switch (block?.type) {
      case 'text':
        this.blocks.set(index, { type: 'other' });
        return block.text === undefined || block.text === '' ? NOTHING : [{ type: 'message.delta', text: block.text }];
      case 'thinking':
        this.blocks.set(index, { type: 'thinking', thinking: block.thinking ?? '', signature: block.signature ?? '' });
        return block.thinking === undefined || block.thinking === '' ? NOTHING : [{ type: 'reasoning.delta', text: block.thinking }];
      case 'redacted_thinking':
        this.blocks.set(index, { type: 'redacted_thinking', data: block.data ?? '' });
        return NOTHING;
      case 'tool_use': {
        const open = { type: 'tool_use', toolIndex: this.toolCalls, sentArguments: false } as const satisfies OpenBlock;
        this.toolCalls += 1;
        const input = block.input;
        const hasInput = typeof input === 'object' && input !== null && Object.keys(input).length > 0;
        this.blocks.set(index, { ...open, sentArguments: hasInput });
        return [
          {
            type: 'tool_call.delta',
            index: open.toolIndex,
            ...(block.id === undefined ? {} : { id: block.id }),
            ...(block.name === undefined ? {} : { name: block.name }),
            ...(hasInput ? { arguments: JSON.stringify(input) } : {}),
          },
        ];
      }
      default:
        // Server tool blocks and results: Parley asks for no server tools.
        this.blocks.set(index, { type: 'other' });
        return NOTHING;
    }
  }

  private delta(event: AnthropicEvent): readonly StreamPart[] {
    const delta = event.delta;
    const block = this.blocks.get(event.index ?? 0);
    switch (delta?.type) {
      case 'text_delta':
        return delta.text === undefined || delta.text === '' ? NOTHING : [{ type: 'message.delta', text: delta.text }];
      case 'thinking_delta':
        if (delta.thinking === undefined || delta.thinking === '') return NOTHING;
        if (block?.type === 'thinking') block.thinking += delta.thinking;
        return [{ type: 'reasoning.delta', text: delta.thinking }];
      case 'signature_delta':
        if (block?.type === 'thinking') block.signature += delta.signature ?? '';
        return NOTHING;
      case 'input_json_delta':
        if (block?.type !== 'tool_use' || delta.partial_json === undefined || delta.partial_json === '') return NOTHING;
        block.sentArguments = true;
        return [{ type: 'tool_call.delta', index: block.toolIndex, arguments: delta.partial_json }];
      default:
        // `citations_delta` and later additions carry nothing Parley forwards.
        return NOTHING;
    }
  }

  private stopBlock(index: number): readonly StreamPart[] {
    const block = this.blocks.get(index);
    this.blocks.delete(index);
    if (block?.type === 'thinking') this.thinking.push({ type: 'thinking', thinking: block.thinking, signature: block.signature });
    else if (block?.type === 'redacted_thinking') this.thinking.push({ type: 'redacted_thinking', data: block.data });
    else if (block?.type === 'tool_use' && !block.sentArguments) {
      // OpenAI clients parse the arguments; a call without input still has an (empty) object.
      return [{ type: 'tool_call.delta', index: block.toolIndex, arguments: '{}' }];
    }
    return NOTHING;
  }

  private messageDelta(event: AnthropicEvent): readonly StreamPart[] {
    this.addUsage(event.usage);
    const stopReason = event.delta?.stop_reason;
    if (typeof stopReason !== 'string' || this.finishReason !== undefined) return NOTHING;
    if (stopReason === 'refusal') {
      const details = event.delta?.stop_details;
      const explanation = details?.explanation ?? undefined;
      const category = details?.category ?? undefined;
      const said = explanation === undefined ? '' : `: ${sanitizeUpstreamMessage(explanation, this.context.apiKey)}`;
      return this.fail(
        new ParleyError('content_filtered', `Provider "${this.context.provider}" refused to answer${category === undefined ? '' : ` (${category})`}${said}`, {
          cause: event.delta,
        }),
      );
    }
    this.finishReason = FINISH_REASONS[stopReason] ?? 'stop';
    return [this.finish()];
  }

  private finish(): StreamPart {
    const providerMetadata = thinkingMetadata(this.thinking);
    return { type: 'finish', finish_reason: this.finishReason ?? 'stop', ...(providerMetadata === undefined ? {} : { providerMetadata }) };
  }

  private addUsage(usage: AnthropicUsage | null | undefined): void {
    if (usage === undefined || usage === null) return;
    this.sawUsage = true;
    // Counts are cumulative; a later event omits what did not change.
    for (const [key, value] of Object.entries(usage)) {
      if (value !== null && value !== undefined) (this.usage as Record<string, unknown>)[key] = value;
    }
  }

  /**
   * OpenAI's counting: prompt tokens include cache writes and reads (Anthropic
   * reports them apart), completion tokens include thinking.
   */
  private toUsage(): Usage {
    const usage = emptyUsage();
    const cacheRead = this.usage.cache_read_input_tokens ?? 0;
    usage.prompt_tokens = (this.usage.input_tokens ?? 0) + (this.usage.cache_creation_input_tokens ?? 0) + cacheRead;
    usage.completion_tokens = this.usage.output_tokens ?? 0;
    usage.reasoning_tokens = this.usage.output_tokens_details?.thinking_tokens ?? 0;
    usage.cached_tokens = cacheRead;
    return usage;
  }
}
