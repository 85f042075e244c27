/** Request schemas of the plain SSE chat API (seed-003-sse-session-auth.md). */
import Type from 'typebox';
import type { InputLimits } from '../../../config/types.js';
import { externalId } from '../../schemas.js';

const SESSION_ID = externalId;

/**
 * `POST /chat` body: `message`, and `session_id`, which the seed marks
 * optional (absent or null: the server makes one up and returns it in
 * `X-Session-ID`).
 */
export function chatBody(limits: InputLimits) {
  return Type.Object({
    message: Type.String({ minLength: 1, maxLength: limits.maxMessageChars }),
    session_id: Type.Optional(Type.Union([SESSION_ID, Type.Null()])),
  });
}
