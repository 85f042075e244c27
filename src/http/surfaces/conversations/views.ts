/** Wire shapes of the conversations API (seed 001), from stored rows. */
import type { Conversation, Message } from '../../../services/chat.js';
import { storedTokenCounts } from '../../stored-usage.js';
import { attachmentViews } from './attachments.js';

/** A conversation as the seed documents it, plus Parley's extra fields. */
export function conversationView(conversation: Conversation, messageCount: number) {
  return {
    id: conversation.id,
    default_model: conversation.default_model,
    title: conversation.title,
    // The seed `user_id` / `session_id` this conversation belongs to, if any.
    external_id: conversation.external_id,
    created_at: conversation.created_at,
    updated_at: conversation.updated_at,
    message_count: messageCount,
  };
}

/**
 * A message as the seed documents it (`timestamp`), plus status, reasoning and
 * usage; an assistant message carries the `run_id` that writes it, so a client
 * can cancel it (`POST /runs/{run_id}/cancel`) while it streams.
 */
export function messageView(message: Message) {
  const tokens = storedTokenCounts(message);
  return {
    id: message.id,
    role: message.role,
    content: message.content,
    model: message.model,
    ...(message.provider === null ? {} : { provider: message.provider }),
    ...(message.parts === null ? {} : { attachments: attachmentViews(message) }),
    timestamp: message.created_at,
    status: message.status,
    parent_id: message.parent_id,
    ...(message.role === 'assistant' && message.run_id !== null ? { run_id: message.run_id } : {}),
    ...(message.reasoning === null ? {} : { reasoning: message.reasoning }),
    ...(message.finish_reason === null ? {} : { finish_reason: message.finish_reason }),
    ...(tokens === undefined
      ? {}
      : {
          usage: {
            ...tokens,
            // A replayed answer spent nothing: it says so, with what its original cost.
            ...(message.cache_hit === 1 ? { cache_hit: true, saved_tokens: message.saved_tokens ?? 0 } : {}),
            ...(message.cost_usd === null ? {} : { cost_usd: message.cost_usd }),
          },
        }),
    ...(message.error_code === null ? {} : { error: { code: message.error_code, message: message.error_message } }),
  };
}
