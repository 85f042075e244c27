/**
 * Schema of one streamed `chat.completion.chunk`
 * (https://platform.openai.com/docs/api-reference/chat-streaming/streaming), widened
 * for the fields OpenAI-compatible servers add:
 * - `delta.reasoning_content` (DeepSeek https://api-docs.deepseek.com/guides/reasoning_model, xAI),
 * - `delta.reasoning` (Groq https://console.groq.com/docs/reasoning, OpenRouter
 *   https://openrouter.ai/docs/use-cases/reasoning-tokens, recent vLLM),
 * - `delta.content` as an array of parts (Mistral's `thinking` / `text` parts),
 * - `usage.cost` in USD (OpenRouter https://openrouter.ai/docs/use-cases/usage-accounting),
 * - `usage.cost_in_usd_ticks`, 1 USD = 1e10 ticks (xAI https://docs.x.ai/developers/cost-tracking),
 * - `usage.total_tokens`, which tells whether reasoning tokens are inside
 *   `completion_tokens` (OpenAI's definition) or beside them (xAI),
 * - a top-level `error` object sent mid-stream (OpenRouter, vLLM).
 *
 * Permissive on purpose: unknown fields are allowed and almost everything is
 * optional or nullable, because servers differ in which fields they send as
 * `null` and which they omit. What is checked is the type of every field the
 * mapper reads, so the mapper never meets a surprise.
 */
import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';

const OptionalNullable = <Schema extends Type.TSchema>(schema: Schema) => Type.Optional(Type.Union([schema, Type.Null()]));

/** Mistral streams thinking as `[{type: 'text', text}]`; others as a plain string. */
const ThinkingText = Type.Union([
  Type.String(),
  Type.Array(Type.Object({ type: Type.Optional(Type.String()), text: Type.Optional(Type.String()) })),
]);

/** One part of an array-valued `content`; unknown part types are ignored by the mapper. */
const ContentPart = Type.Object({
  type: Type.String(),
  text: OptionalNullable(Type.String()),
  thinking: OptionalNullable(ThinkingText),
});

const ToolCallDelta = Type.Object({
  /** Position of the call; some servers omit it when they send whole calls. */
  index: Type.Optional(Type.Number()),
  id: OptionalNullable(Type.String()),
  type: OptionalNullable(Type.String()),
  function: OptionalNullable(
    Type.Object({
      name: OptionalNullable(Type.String()),
      arguments: OptionalNullable(Type.String()),
    }),
  ),
});

const Delta = Type.Object({
  role: OptionalNullable(Type.String()),
  content: OptionalNullable(Type.Union([Type.String(), Type.Array(ContentPart)])),
  reasoning_content: OptionalNullable(Type.String()),
  reasoning: OptionalNullable(Type.String()),
  refusal: OptionalNullable(Type.String()),
  tool_calls: OptionalNullable(Type.Array(ToolCallDelta)),
});

const Choice = Type.Object({
  index: Type.Optional(Type.Number()),
  delta: OptionalNullable(Delta),
  finish_reason: OptionalNullable(Type.String()),
});

const Usage = Type.Object({
  prompt_tokens: OptionalNullable(Type.Number()),
  completion_tokens: OptionalNullable(Type.Number()),
  total_tokens: OptionalNullable(Type.Number()),
  prompt_tokens_details: OptionalNullable(Type.Object({ cached_tokens: OptionalNullable(Type.Number()) })),
  completion_tokens_details: OptionalNullable(Type.Object({ reasoning_tokens: OptionalNullable(Type.Number()) })),
  cost: OptionalNullable(Type.Number()),
  cost_in_usd_ticks: OptionalNullable(Type.Number()),
});

const UpstreamError = Type.Object({
  message: OptionalNullable(Type.String()),
  code: OptionalNullable(Type.Union([Type.String(), Type.Number()])),
  type: OptionalNullable(Type.String()),
});

/** TypeBox schema of one chunk; extra fields (`id`, `model`, `x_groq`, …) pass unchecked. */
export const ChatCompletionChunkSchema = Type.Object({
  choices: OptionalNullable(Type.Array(Choice)),
  usage: OptionalNullable(Usage),
  error: OptionalNullable(Type.Union([UpstreamError, Type.String()])),
});

/**
 * One `choices[]` entry of a non-streamed `chat.completion`
 * (https://platform.openai.com/docs/api-reference/chat/object): its `message`
 * carries the same fields as a chunk's `delta`, whole; tool calls without `index`.
 */
const CompletionChoice = Type.Object({
  index: Type.Optional(Type.Number()),
  message: OptionalNullable(Delta),
  finish_reason: OptionalNullable(Type.String()),
});

/** TypeBox schema of a whole `chat.completion` (or a 200 error body), as permissive as a chunk's. */
export const ChatCompletionSchema = Type.Object({
  choices: OptionalNullable(Type.Array(CompletionChoice)),
  usage: OptionalNullable(Usage),
  error: OptionalNullable(Type.Union([UpstreamError, Type.String()])),
});

/** A validated chunk. */
export type ChatCompletionChunk = Static<typeof ChatCompletionChunkSchema>;
/** A validated whole completion. */
export type ChatCompletion = Static<typeof ChatCompletionSchema>;
/** A validated `choices[]` entry. */
export type ChunkChoice = Static<typeof Choice>;
/** A validated `usage` object. */
export type ChunkUsage = Static<typeof Usage>;
/** A validated `delta.tool_calls[]` entry. */
export type ChunkToolCall = Static<typeof ToolCallDelta>;
/** A validated array-content part. */
export type ChunkContentPart = Static<typeof ContentPart>;

// Compiled once at module load: validation runs on every chunk of every stream.
/** The compiled {@link ChatCompletionChunkSchema}. */
export const chunkValidator = Compile(ChatCompletionChunkSchema);
/** The compiled {@link ChatCompletionSchema}, for whole answers. */
export const completionValidator = Compile(ChatCompletionSchema);
