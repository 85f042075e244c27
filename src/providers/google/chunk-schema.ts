/**
 * Schema of one `GenerateContentResponse` (https://ai.google.dev/api/generate-content#generatecontentresponse):
 * each event of `streamGenerateContent?alt=sse`, and the whole answer of
 * `generateContent`. Permissive: unknown fields pass, and what the mapper reads
 * is type-checked (after vercel/ai's deliberately limited chunk schema).
 */
import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';

const OptionalNullable = <Schema extends Type.TSchema>(schema: Schema) => Type.Optional(Type.Union([schema, Type.Null()]));

const Part = Type.Object({
  text: OptionalNullable(Type.String()),
  thought: OptionalNullable(Type.Boolean()),
  thoughtSignature: OptionalNullable(Type.String()),
  functionCall: OptionalNullable(
    Type.Object({ name: OptionalNullable(Type.String()), args: OptionalNullable(Type.Unknown()), id: OptionalNullable(Type.String()) }),
  ),
});

const SafetyRating = Type.Object({
  category: OptionalNullable(Type.String()),
  probability: OptionalNullable(Type.String()),
  blocked: OptionalNullable(Type.Boolean()),
});

const Candidate = Type.Object({
  content: OptionalNullable(Type.Object({ parts: OptionalNullable(Type.Array(Part)), role: OptionalNullable(Type.String()) })),
  finishReason: OptionalNullable(Type.String()),
  finishMessage: OptionalNullable(Type.String()),
  safetyRatings: OptionalNullable(Type.Array(SafetyRating)),
  index: OptionalNullable(Type.Number()),
});

const UsageMetadata = Type.Object({
  promptTokenCount: OptionalNullable(Type.Number()),
  candidatesTokenCount: OptionalNullable(Type.Number()),
  thoughtsTokenCount: OptionalNullable(Type.Number()),
  cachedContentTokenCount: OptionalNullable(Type.Number()),
});

/** TypeBox schema of one response (or stream event). */
export const GoogleResponseSchema = Type.Object({
  candidates: OptionalNullable(Type.Array(Candidate)),
  usageMetadata: OptionalNullable(UsageMetadata),
  promptFeedback: OptionalNullable(Type.Object({ blockReason: OptionalNullable(Type.String()), safetyRatings: OptionalNullable(Type.Array(SafetyRating)) })),
  /** An error sent inside a 200 stream. */
  error: OptionalNullable(Type.Object({ code: OptionalNullable(Type.Number()), message: OptionalNullable(Type.String()), status: OptionalNullable(Type.String()) })),
});

/** A validated response. */
export type GoogleResponse = Static<typeof GoogleResponseSchema>;
/** A validated candidate. */
export type GoogleCandidate = Static<typeof Candidate>;
/** A validated usage object. */
export type GoogleUsageMetadata = Static<typeof UsageMetadata>;
/** A validated safety rating. */
export type GoogleSafetyRating = Static<typeof SafetyRating>;

/** The compiled response schema, checked on every event of every stream. */
export const responseValidator = Compile(GoogleResponseSchema);
