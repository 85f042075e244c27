/**
 * A stored answer's token counts as the `usage` object every surface shows
 * (OpenAI's field names), shared by the views of stored messages.
 */
import type { Message } from '../services/chat.js';

/** The token counts of one answer, in tokens. */
export interface TokenCounts {
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
  cached_tokens: number;
}

/**
 * The counts stored on a message, or undefined when none were recorded (user
 * messages, answers that ended before the provider reported usage). Counts the
 * provider left out read as 0.
 */
export function storedTokenCounts(
  message: Pick<Message, 'prompt_tokens' | 'completion_tokens' | 'reasoning_tokens' | 'cached_tokens'>,
): TokenCounts | undefined {
  if (message.prompt_tokens === null) return undefined;
  return {
    prompt_tokens: message.prompt_tokens,
    completion_tokens: message.completion_tokens ?? 0,
    reasoning_tokens: message.reasoning_tokens ?? 0,
    cached_tokens: message.cached_tokens ?? 0,
  };
}
