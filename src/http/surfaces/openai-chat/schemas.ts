/**
 * Request schemas of the OpenAI-compatible surface (OpenAI API reference,
 * "Create chat completion"). Unknown fields are accepted and ignored, as
 * OpenAI client libraries send fields Parley has no use for.
 */
import Type, { type Static } from 'typebox';
import type { InputLimits } from '../../../config/types.js';

/** Builds the chat completion request schema with the configured limits. */
export function chatCompletionSchema(limits: InputLimits) {
  const text = Type.String({ maxLength: limits.maxMessageChars });
  // A data: URL carries attachments as base64 (4 characters per 3 bytes); the
  // per-file limit is the core's to report (413 naming the part), so the schema only bounds the message's.
  const dataUrl = Type.String({ maxLength: Math.ceil(limits.attachments.maxMessageBytes / 3) * 4 + 256 });
  const contentPart = Type.Object({
    type: Type.String({ maxLength: 32 }),
    text: Type.Optional(text),
    image_url: Type.Optional(Type.Object({ url: dataUrl, detail: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('low'), Type.Literal('high')])) })),
    input_audio: Type.Optional(Type.Object({ data: dataUrl, format: Type.String({ pattern: '^[a-z0-9-]{1,16}$' }) })),
    file: Type.Optional(
      Type.Object({
        file_data: Type.Optional(dataUrl),
        file_id: Type.Optional(Type.String({ maxLength: 256 })),
        filename: Type.Optional(Type.String({ maxLength: 256 })),
      }),
    ),
  });
  const toolCall = Type.Object({
    id: Type.String({ maxLength: 256 }),
    type: Type.Literal('function'),
    function: Type.Object({ name: Type.String({ maxLength: 256 }), arguments: Type.String({ maxLength: limits.maxMessageChars }) }),
  });
  // OpenAI's rule for function names.
  const toolName = Type.String({ pattern: '^[a-zA-Z0-9_-]{1,64}$' });
  const tool = Type.Object({
    type: Type.String({ maxLength: 32 }),
    function: Type.Optional(
      Type.Object({
        name: toolName,
        description: Type.Optional(Type.String({ maxLength: limits.maxMessageChars })),
        parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
      }),
    ),
  });
  const message = Type.Object({
    role: Type.Union([Type.Literal('system'), Type.Literal('developer'), Type.Literal('user'), Type.Literal('assistant'), Type.Literal('tool')]),
    content: Type.Optional(Type.Union([text, Type.Null(), Type.Array(contentPart, { maxItems: 64 })])),
    name: Type.Optional(Type.String({ maxLength: 256 })),
    tool_call_id: Type.Optional(Type.String({ maxLength: 256 })),
    tool_calls: Type.Optional(Type.Array(toolCall, { maxItems: 128 })),
  });
  return Type.Object({
    model: Type.String({ minLength: 1, maxLength: 256 }),
    messages: Type.Array(message, { minItems: 1, maxItems: limits.maxMessages }),
    stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    stream_options: Type.Optional(Type.Union([Type.Object({ include_usage: Type.Optional(Type.Boolean()) }), Type.Null()])),
    temperature: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Null()])),
    top_p: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])),
    max_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    max_completion_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    stop: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Array(Type.String({ maxLength: 256 }), { maxItems: 4 }), Type.Null()])),
    n: Type.Optional(Type.Union([Type.Literal(1), Type.Null()])),
    seed: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    presence_penalty: Type.Optional(Type.Union([Type.Number({ minimum: -2, maximum: 2 }), Type.Null()])),
    frequency_penalty: Type.Optional(Type.Union([Type.Number({ minimum: -2, maximum: 2 }), Type.Null()])),
    tools: Type.Optional(Type.Union([Type.Array(tool, { maxItems: 128 }), Type.Null()])),
    tool_choice: Type.Optional(
      Type.Union([
        Type.Literal('none'),
        Type.Literal('auto'),
        Type.Literal('required'),
        Type.Object({ type: Type.Literal('function'), function: Type.Object({ name: toolName }) }),
        Type.Null(),
      ]),
    ),
    reasoning_effort: Type.Optional(
      Type.Union([
        Type.Literal('none'),
        Type.Literal('minimal'),
        Type.Literal('low'),
        Type.Literal('medium'),
        Type.Literal('high'),
        Type.Literal('xhigh'),
        Type.Null(),
      ]),
    ),
    user: Type.Optional(Type.String({ maxLength: 256 })),
  });
}

/** A validated chat completion request. */
export type ChatCompletionBody = Static<ReturnType<typeof chatCompletionSchema>>;
