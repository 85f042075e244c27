/**
 * Schema of one Messages streaming event
 * (https://docs.anthropic.com/en/api/messages-streaming): `message_start`,
 * `content_block_start` / `_delta` / `_stop`, `message_delta`, `message_stop`,
 * `ping`, `error`. Permissive like the OpenAI chunk schema: unknown event types,
 * block types and fields pass, so a new server-side feature never breaks a
 * stream; what is checked is the type of every field the mapper reads.
 */
import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';

const OptionalNullable = <Schema extends Type.TSchema>(schema: Schema) => Type.Optional(Type.Union([schema, Type.Null()]));

const Usage = Type.Object({
  input_tokens: OptionalNullable(Type.Number()),
  output_tokens: OptionalNullable(Type.Number()),
  cache_creation_input_tokens: OptionalNullable(Type.Number()),
  cache_read_input_tokens: OptionalNullable(Type.Number()),
  output_tokens_details: OptionalNullable(Type.Object({ thinking_tokens: OptionalNullable(Type.Number()) })),
});

const ContentBlock = Type.Object({
  type: Type.String(),
  text: Type.Optional(Type.String()),
  thinking: Type.Optional(Type.String()),
  signature: Type.Optional(Type.String()),
  data: Type.Optional(Type.String()),
  id: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  input: Type.Optional(Type.Unknown()),
});

const Delta = Type.Object({
  type: Type.Optional(Type.String()),
  text: Type.Optional(Type.String()),
  thinking: Type.Optional(Type.String()),
  signature: Type.Optional(Type.String()),
  partial_json: Type.Optional(Type.String()),
  stop_reason: OptionalNullable(Type.String()),
  stop_details: OptionalNullable(
    Type.Object({ type: OptionalNullable(Type.String()), category: OptionalNullable(Type.String()), explanation: OptionalNullable(Type.String()) }),
  ),
});

/** TypeBox schema of one event; the `event:` line is not needed, `type` repeats it. */
export const AnthropicEventSchema = Type.Object({
  type: Type.String(),
  index: Type.Optional(Type.Number()),
  message: Type.Optional(Type.Object({ id: Type.Optional(Type.String()), model: Type.Optional(Type.String()), usage: OptionalNullable(Usage) })),
  content_block: Type.Optional(ContentBlock),
  delta: Type.Optional(Delta),
  usage: OptionalNullable(Usage),
  error: Type.Optional(Type.Object({ type: Type.Optional(Type.String()), message: Type.Optional(Type.String()) })),
});

/**
 * TypeBox schema of a whole, non-streamed answer
 * (https://docs.anthropic.com/en/api/messages, the `message` object), as
 * permissive as the events: its blocks are the blocks a stream starts.
 */
export const AnthropicMessageSchema = Type.Object({
  type: Type.Literal('message'),
  content: Type.Array(ContentBlock),
  stop_reason: OptionalNullable(Type.String()),
  stop_details: Delta.properties.stop_details,
  usage: OptionalNullable(Usage),
});

/** A validated event. */
export type AnthropicEvent = Static<typeof AnthropicEventSchema>;
/** A validated `usage` object. */
export type AnthropicUsage = Static<typeof Usage>;

/** A validated whole answer. */
export type AnthropicMessage = Static<typeof AnthropicMessageSchema>;

/** The compiled whole-answer schema. */
export const messageValidator = Compile(AnthropicMessageSchema);

/** The compiled event schema, checked on every event of every stream. */
export const eventValidator = Compile(AnthropicEventSchema);
