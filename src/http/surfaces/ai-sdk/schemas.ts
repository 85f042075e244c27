/**
 * Request schemas of the AI SDK surface. The body is what the `ai` package's
 * `DefaultChatTransport` posts (`HttpChatTransport.sendMessages`): `{id,
 * messages: UIMessage[], trigger, messageId?}` plus the `body` option's fields
 * (`model`, `persona`). UIMessages carry fields Parley does not read (part
 * states, provider metadata), so unknown fields are accepted.
 */
import Type, { type Static } from 'typebox';
import { PERSONA_NAME_PATTERN } from '../../../personas/catalog.js';
import { externalId } from '../../schemas.js';

const model = Type.String({ minLength: 1, maxLength: 256 });

/**
 * One UIMessage part: Parley reads `text` parts and `file` parts (`{mediaType, url, filename?}`,
 * the url a data: or https: URL) of the new user message; the others pass as they are.
 */
const uiPart = Type.Union([
  Type.Object({ type: Type.Literal('text'), text: Type.String() }),
  Type.Object({
    type: Type.Literal('file'),
    mediaType: Type.String({ minLength: 3, maxLength: 128 }),
    // Bounded by the route's body limit (a message's attachments as base64).
    url: Type.String({ minLength: 1 }),
    filename: Type.Optional(Type.String({ maxLength: 256 })),
  }),
  Type.Object({ type: Type.String({ minLength: 1, maxLength: 128 }), text: Type.Optional(Type.String()) }),
]);

/** A UIMessage as the client holds it. */
const uiMessage = Type.Object({
  id: Type.String({ maxLength: 256 }),
  role: Type.Union([Type.Literal('system'), Type.Literal('user'), Type.Literal('assistant')]),
  parts: Type.Array(uiPart, { maxItems: 1024 }),
});

/** `POST /ai-sdk/chat` body. */
export const chatBody = Type.Object({
  id: externalId,
  messages: Type.Array(uiMessage, { minItems: 1, maxItems: 10_000 }),
  trigger: Type.Optional(Type.Union([Type.Literal('submit-message'), Type.Literal('regenerate-message')])),
  messageId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Null()])),
  model: Type.Optional(Type.Union([model, Type.Null()])),
  persona: Type.Optional(Type.String({ pattern: PERSONA_NAME_PATTERN })),
});
export type ChatBody = Static<typeof chatBody>;

/** `{id}` path parameter: the chat id. */
export const chatParams = Type.Object({ id: externalId });
export type ChatParams = Static<typeof chatParams>;

/** `POST /ai-sdk/chat/{id}/branch` body. */
export const branchBody = Type.Object({ messageId: Type.String({ minLength: 1, maxLength: 64 }) });
export type BranchBody = Static<typeof branchBody>;
