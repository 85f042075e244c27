/** Request schemas of the steps + persona API (seed-002-steps-persona-cache.md). */
import Type from 'typebox';
import type { InputLimits } from '../../../config/types.js';
import { PERSONA_NAME_PATTERN } from '../../../personas/catalog.js';
import { THINKING_MODES } from '../../../runs/thinking/index.js';
import { externalId } from '../../schemas.js';

const SESSION_ID = externalId;

/**
 * `POST /api/chat/send` and `POST /api/chat/stream` body: the seed's
 * `content` and optional `session_id`, plus Parley's optional `persona`,
 * `model`, `temperature` and `thinking`. Unknown fields are ignored, as the
 * seed's Pydantic model ignores them.
 */
export function chatBody(limits: InputLimits) {
  return Type.Object({
    content: Type.String({ minLength: 1, maxLength: limits.maxMessageChars }),
    /** Omitted or null: a new session, whose id the response carries. */
    session_id: Type.Optional(Type.Union([SESSION_ID, Type.Null()])),
    /** Picks the session's persona (kept for later turns); unknown names are 400. */
    persona: Type.Optional(Type.String({ pattern: PERSONA_NAME_PATTERN })),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    thinking: Type.Optional(Type.Union(THINKING_MODES.map((mode) => Type.Literal(mode)))),
  });
}

/** `GET` / `DELETE /api/chat/history` query. */
export const historyQuery = Type.Object({ session_id: SESSION_ID });
