/**
 * Request schemas of the Responses surface (OpenAI API reference, "Create a
 * model response"; `ResponseCreateParams` in the `openai` npm package).
 * Fields Parley has no use for (`include`, `reasoning`, `text`, `truncation`,
 * `user`, `prompt_cache_key` …) are accepted and ignored, as OpenAI clients
 * send them.
 */
import Type, { type Static } from 'typebox';
import type { InputLimits } from '../../../config/types.js';

/** Builds the create-response body schema with the configured limits. */
export function createResponseSchema(limits: InputLimits) {
  const text = Type.String({ maxLength: limits.maxMessageChars });
  // Attachments as data: URLs are bounded by the message's allowance; the per-file limit is the core's to report (413).
  const dataUrl = Type.String({ maxLength: Math.ceil(limits.attachments.maxMessageBytes / 3) * 4 + 256 });
  const contentPart = Type.Object({
    type: Type.String({ maxLength: 32 }),
    text: Type.Optional(text),
    image_url: Type.Optional(dataUrl),
    detail: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('low'), Type.Literal('high')])),
    file_data: Type.Optional(dataUrl),
    file_url: Type.Optional(Type.String({ maxLength: 2048 })),
    file_id: Type.Optional(Type.String({ maxLength: 256 })),
    filename: Type.Optional(Type.String({ maxLength: 256 })),
  });
  const item = Type.Object({
    type: Type.Optional(Type.String({ maxLength: 64 })),
    role: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('system'), Type.Literal('developer'), Type.Literal('assistant')])),
    content: Type.Optional(Type.Union([text, Type.Array(contentPart, { maxItems: 64 })])),
    call_id: Type.Optional(Type.String({ maxLength: 256 })),
    name: Type.Optional(Type.String({ maxLength: 256 })),
    arguments: Type.Optional(text),
    output: Type.Optional(text),
  });
  const tool = Type.Object({
    type: Type.String({ maxLength: 64 }),
    name: Type.Optional(Type.String({ maxLength: 256 })),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 4096 }), Type.Null()])),
    parameters: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
    strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  });
  return Type.Object({
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    input: Type.Union([Type.String({ minLength: 1, maxLength: limits.maxMessageChars }), Type.Array(item, { minItems: 1, maxItems: limits.maxMessages })]),
    instructions: Type.Optional(Type.Union([Type.String({ maxLength: limits.maxMessageChars }), Type.Null()])),
    stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    background: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    store: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    previous_response_id: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
    max_output_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    temperature: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Null()])),
    top_p: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])),
    tools: Type.Optional(Type.Array(tool, { maxItems: 128 })),
    tool_choice: Type.Optional(Type.Unknown()),
    metadata: Type.Optional(Type.Union([Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 512 }), { maxProperties: 16 }), Type.Null()])),
  });
}

/** A validated create-response body. */
export type CreateResponseBody = Static<ReturnType<typeof createResponseSchema>>;

/** `{response_id}` path parameter. */
export const responseParams = Type.Object({ response_id: Type.String({ minLength: 1, maxLength: 64 }) });
export type ResponseParams = Static<typeof responseParams>;

/** `GET /v1/responses/{response_id}` query. */
export const retrieveQuery = Type.Object({
  stream: Type.Optional(Type.Boolean()),
  starting_after: Type.Optional(Type.Integer({ minimum: -1, maximum: 1_000_000_000 })),
  include: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Array(Type.String({ maxLength: 256 }), { maxItems: 16 })])),
  include_obfuscation: Type.Optional(Type.Boolean()),
});
export type RetrieveQuery = Static<typeof retrieveQuery>;

/** `GET /v1/responses/{response_id}/input_items` query. */
export const inputItemsQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'desc' })),
  after: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  include: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Array(Type.String({ maxLength: 256 }), { maxItems: 16 })])),
});
export type InputItemsQuery = Static<typeof inputItemsQuery>;
