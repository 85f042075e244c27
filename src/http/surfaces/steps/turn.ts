/**
 * One chat turn of the seed-002 surface: picks (or switches) the session's
 * persona, stores the user's message and starts a cached run answering it
 * with the seed's bounded history.
 */
import { randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import type { RunHandle } from '../../../services/runs.js';
import type { AppContext } from '../../context.js';
import type { chatBody } from './schemas.js';

/** A validated `POST /api/chat/send` / `stream` body. */
export type ChatBody = Static<ReturnType<typeof chatBody>>;

/** Surface name recorded on runs and metrics. */
export const STEPS_SURFACE = 'steps';

/** A started turn. */
export interface StartedTurn {
  handle: RunHandle;
  /** The session, as sent or newly made when the request had none. */
  sessionId: string;
  /** The persona answering. */
  persona: string;
}

/**
 * Starts a turn in the caller's conversation for `session_id` (created on
 * first use, shared with every other surface).
 *
 * History: seed 002 sends "Max History: 10 messages per session" upstream, so
 * this surface passes its own bound (PARLEY_STEPS_HISTORY_MESSAGES, default 10)
 * instead of the global PARLEY_HISTORY_MESSAGES the other surfaces use.
 * Cache: `cache: true`, since the seed documents a response cache.
 * @throws ParleyError `validation_failed` (400, param `persona`) for an unknown
 *   persona; `conflict` (409) while an answer still streams into the session;
 *   errors of `ChatService.answer` otherwise.
 */
export async function startStepsTurn(context: AppContext, ownerId: string, body: ChatBody, requestId?: string): Promise<StartedTurn> {
  const { chat, config, personas } = context;
  const persona = body.persona === undefined ? undefined : personas.require(body.persona);
  const sessionId = body.session_id ?? randomUUID();
  const { conversation, handle } = await chat.startTurn({
    ownerId,
    externalId: sessionId,
    message: body.content,
    model: body.model,
    persona: persona?.name,
    surface: STEPS_SURFACE,
    requestId,
    thinking: body.thinking ?? config.steps.thinking,
    options: { temperature: body.temperature },
    historyMessages: config.steps.historyMessages,
    cache: true,
  });
  return { handle, sessionId, persona: personas.settingsFor(conversation.persona, {}).name };
}
