/**
 * Wire shapes of the JSON SSE chat API (seed-004-json-sse-history-memory.md):
 * the stream's `data:` objects, the `/api/chat/simple` answer and the history
 * listing, built from run events and stored rows.
 */
import type { RunEvent } from '../../../runs/events.js';
import type { Message, MessageStatus } from '../../../services/chat.js';
import type { SseMessage } from '../../streaming/sse.js';
import { statelessView } from '../../streaming/stream-view.js';

/**
 * Maps one run event to seed 004's stream ("POST /api/chat"): `{"content":
 * <delta>, "done": false}` per answer delta and `{"content": "", "done": true}`
 * at the end. Reasoning rides along as `{"content": "", "reasoning": <delta>,
 * "done": false}`, so seed clients that append `content` show nothing extra. A
 * failure after output ends with `done: true` plus `error` and `code` (the seed
 * documents none), so seed clients stop cleanly and new ones can tell.
 */
export function jsonSseMessage(event: RunEvent): SseMessage | undefined {
  switch (event.type) {
    case 'message.delta':
      return event.text === '' ? undefined : json({ content: event.text, done: false });
    case 'reasoning.delta':
      return json({ content: '', reasoning: event.text, done: false });
    case 'run.completed':
      return json({ content: '', done: true });
    case 'run.failed':
      return json({ content: '', done: true, error: event.error.message, code: event.error.code });
    case 'run.cancelled':
      return json({ content: '', done: true, cancelled: true });
    default:
      return undefined;
  }
}

/** The seed's final sentinel, after the terminal event's message. */
export function doneTrailer(): SseMessage[] {
  return [{ data: '[DONE]' }];
}

/** Seed 004's stream view: resumable by event id; a failure before output is an HTTP status. */
export const jsonSseView = statelessView(jsonSseMessage, { resume: 'event', earlyFailure: 'status', trailer: doneTrailer });

function json(value: Record<string, unknown>): SseMessage {
  return { data: JSON.stringify(value) };
}

/** `POST /api/chat/simple` answer: the seed's four fields plus the model that answered. */
export function simpleChatView(userId: string, message: string, answer: Message) {
  return {
    user_id: userId,
    message,
    response: answer.content,
    timestamp: exchangeTime(answer),
    model: answer.model,
  };
}

/** One exchange of `GET /api/chat/history/{user_id}`; `status` is Parley's addition. */
export interface HistoryEntry {
  /** ISO 8601: when the answer was recorded (when the question was, while unanswered). */
  timestamp: string;
  user_message: string;
  /** The answer text; empty while streaming, unanswered, or when it failed before any text. */
  assistant_response: string;
  /** The answer's status, `pending` when none was started yet. */
  status: MessageStatus | 'pending';
}

/**
 * The seed's history listing, `{user_id, history, count}`, from a conversation's
 * active messages (oldest first): each user message opens an exchange and the
 * next assistant message answers it. System messages are not exchanges.
 */
export function historyView(userId: string, messages: readonly Message[]) {
  const history: HistoryEntry[] = [];
  for (const message of messages) {
    if (message.role === 'user') {
      history.push({ timestamp: message.created_at, user_message: message.content, assistant_response: '', status: 'pending' });
      continue;
    }
    if (message.role !== 'assistant') continue;
    const open = history.at(-1);
    const answer = { timestamp: exchangeTime(message), assistant_response: message.content, status: message.status };
    // An answer without a question before it (e.g. a greeting) is an exchange of its own.
    if (open?.status === 'pending') Object.assign(open, answer);
    else history.push({ user_message: '', ...answer });
  }
  return { user_id: userId, history, count: history.length };
}

/** The seed records an exchange once the answer is in, so its time is the answer's. */
function exchangeTime(answer: Message): string {
  return answer.updated_at;
}
