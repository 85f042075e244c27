/**
 * One chat turn keyed by a seed's `session_id` / `user_id`: the step the
 * session-style surfaces (seed 003 `POST /chat`, seed 004 `POST /api/chat` and
 * `/api/chat/simple`) share. The id names the caller's conversation with that
 * external id, so the turn lands in the same history every other surface shows.
 */
import { ParleyError } from '../errors.js';
import type { RunHandle } from '../runs/manager.js';
import type { AppContext } from './context.js';

/** A user message to answer in the conversation an external id names. */
export interface SessionTurn {
  /** Tenant (`request.principal.ownerId`). */
  ownerId: string;
  /** The seed's `session_id` / `user_id`. */
  externalId: string;
  /** The user's message text, already validated. */
  message: string;
  /** Surface name recorded on the run (`plain-sse`, `json-sse`). */
  surface: string;
  /** `X-Request-ID` of the request, for the run's log lines. */
  requestId?: string;
}

/**
 * Stores the user's message in the external id's conversation (created on
 * first use) and starts the run that answers it.
 * @throws ParleyError `conflict` (409) while an answer is still streaming into
 *   that conversation: a second turn would interleave with it, so it is refused
 *   before anything is stored; errors of `ChatService.answer` otherwise.
 */
export async function startSessionTurn(context: AppContext, turn: SessionTurn): Promise<RunHandle> {
  const { chat, runs } = context;
  const conversation = await chat.conversationFor(turn.ownerId, turn.externalId);
  if (runs.activeForConversation(conversation.id) !== undefined) {
    throw new ParleyError('conflict', 'An answer is still streaming for this session; wait for it, or resume it with Last-Event-ID.');
  }
  await chat.addUserMessage(conversation, turn.message);
  return chat.answer({ ownerId: turn.ownerId, conversation, surface: turn.surface, requestId: turn.requestId });
}
