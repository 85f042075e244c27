/** Request schemas of the JSON SSE chat API (seed-004-json-sse-history-memory.md). */
import Type from 'typebox';
import type { InputLimits } from '../../../config/types.js';
import { externalId } from '../../schemas.js';

const USER_ID = externalId;

/** `POST /api/chat` and `POST /api/chat/simple` body: both fields required, as in the seed. */
export function chatBody(limits: InputLimits) {
  return Type.Object({
    user_id: USER_ID,
    message: Type.String({ minLength: 1, maxLength: limits.maxMessageChars }),
  });
}

/** `{user_id}` path parameter of the history routes. */
export const historyParams = Type.Object({ user_id: USER_ID });
