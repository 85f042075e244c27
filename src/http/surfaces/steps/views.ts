/** Wire shapes of the steps + persona API (seed 002), from stored rows. */
import type { Message } from '../../../services/chat.js';

/**
 * A message as seed 002's `POST /api/chat/send` documents it (`type` is `ai`
 * for answers, `user` for the user's messages), plus Parley's `status`.
 */
export function chatMessageView(message: Message) {
  return {
    id: message.id,
    type: message.role === 'assistant' ? 'ai' : message.role,
    content: message.content,
    timestamp: message.created_at,
    status: message.status,
  };
}
