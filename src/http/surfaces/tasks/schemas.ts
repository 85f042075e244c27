/**
 * Request and response schemas of seed 000's polling API
 * (seed-000-deepthink-polling-ws.md "HTTP Polling API"); the WebSocket
 * messages reuse the field schemas.
 */
import Type from 'typebox';
import type { InputLimits } from '../../../config/types.js';
import { externalId } from '../../schemas.js';


/** A model id, possibly `provider:`-prefixed. */
export const modelId = Type.String({ minLength: 1, maxLength: 256 });

/** A thinking mode (DESIGN.md "Thinking"). */
export const thinkingMode = Type.Union([Type.Literal('auto'), Type.Literal('native'), Type.Literal('structured'), Type.Literal('off')], {
  description: 'auto/native: steps from the model\'s own reasoning; structured: one call parsed into steps and answer; off: no steps.',
});

/** The user's message: non-blank, at most `PARLEY_MAX_MESSAGE_CHARS` characters. */
export function userMessage(limits: InputLimits) {
  return Type.String({ minLength: 1, maxLength: limits.maxMessageChars, pattern: '\\S' });
}

/** `POST /chat/start` body. */
export function startBody(limits: InputLimits) {
  return Type.Object({
    user_id: externalId,
    message: userMessage(limits),
    model: Type.Optional(Type.Union([modelId, Type.Null()])),
    thinking: Type.Optional(thinkingMode),
  });
}

/** `POST /chat/regenerate` body. */
export const regenerateBody = Type.Object({ user_id: externalId, last_task_id: externalId });

/** `{task_id}` path parameter. */
export const taskParams = Type.Object({ task_id: externalId });

/** `{"task_id": …}`, the answer of start and regenerate. */
export const taskIdResponse = Type.Object({ task_id: Type.String() });

/** One thinking step, as `thinking_step` messages and `thinking_process` carry it. */
export const thinkingStepSchema = Type.Object({
  step: Type.Integer(),
  status: Type.String(),
  message: Type.String(),
  progress: Type.Integer({ minimum: 0, maximum: 100 }),
  timestamp: Type.String({ description: 'ISO 8601' }),
});

const taskError = Type.Object({ code: Type.String(), message: Type.String() });

/** `GET /chat/status/{task_id}` answer (also `GET /chat/result/{task_id}` with 202 while running). */
export const statusResponse = Type.Object({
  task_id: Type.String(),
  status: Type.String({ description: 'started, a step status (analyzing, reasoning, …), answering, complete, error or cancelled' }),
  step: Type.Integer(),
  message: Type.String(),
  progress: Type.Integer({ minimum: 0, maximum: 100 }),
  timestamp: Type.String({ description: 'ISO 8601' }),
  error: Type.Optional(taskError),
});

/** `GET /chat/result/{task_id}` answer once the task ended. */
export const resultResponse = Type.Object({
  task_id: Type.String(),
  status: Type.Union([Type.Literal('complete'), Type.Literal('error'), Type.Literal('cancelled')]),
  thinking_process: Type.Array(thinkingStepSchema),
  final_answer: Type.String(),
  confidence: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], { description: 'From the model (structured thinking); null when it gave none' }),
  citations: Type.Array(Type.String()),
  suggested_followups: Type.Array(Type.String()),
  error: Type.Optional(taskError),
});
