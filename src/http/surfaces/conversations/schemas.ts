/** Request schemas of the conversations API (seed-001-conversations-sse.md). */
import { attachmentsSchema } from './attachments.js';
import Type from 'typebox';
import type { InputLimits } from '../../../config/types.js';

const model = Type.String({ minLength: 1, maxLength: 256 });

/** `{id}` path parameter. */
export const conversationParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** `{id}` and `{message_id}` path parameters. */
export const messageParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  message_id: Type.String({ minLength: 1, maxLength: 64 }),
});

/** `POST /conversations/{id}/messages/{message_id}/regenerate` body (optional). */
export const regenerateBody = Type.Union([Type.Object({ model: Type.Optional(model) }), Type.Null()]);

/** `POST /conversations` body. */
export const createConversationBody = Type.Object({
  default_model: Type.Optional(Type.Union([model, Type.Null()])),
  title: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
  system_prompt: Type.Optional(Type.Union([Type.String({ maxLength: 8000 }), Type.Null()])),
});

/** `PATCH /conversations/{id}` body. */
export const updateConversationBody = Type.Object(
  {
    default_model: Type.Optional(Type.Union([model, Type.Null()])),
    title: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    system_prompt: Type.Optional(Type.Union([Type.String({ maxLength: 8000 }), Type.Null()])),
  },
  { minProperties: 1 },
);

/** `POST /conversations/{id}/messages` body. */
export function sendMessageBody(limits: InputLimits) {
  return Type.Object({
    message: Type.String({ minLength: 1, maxLength: limits.maxMessageChars }),
    model: Type.Optional(Type.Union([model, Type.Null()])),
    attachments: Type.Optional(attachmentsSchema(limits)),
  });
}

/** `GET /conversations/{id}/stream` query. */
export const streamQuery = Type.Object({ model: Type.Optional(model) });

/** `GET /conversations` query. */
export const listQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  // Bounded: a huge offset overflows the database's 64-bit integers.
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
});
