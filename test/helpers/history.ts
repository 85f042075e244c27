/** Reads seed 004's history view (`GET /api/chat/history/{user_id}`), typed. */
import { requestJson } from './parley.js';

/** One exchange of the history view. */
export interface Exchange {
  timestamp: string;
  user_message: string;
  assistant_response: string;
  status: string;
}

/** The history view's body. */
export interface HistoryBody {
  user_id: string;
  history: Exchange[];
  count: number;
}

/** The history of `userId` (a seed 004 user_id or a seed 003 session_id: the same conversation). */
export async function historyOf(url: string, userId: string, headers: Record<string, string> = {}): Promise<HistoryBody> {
  return (await requestJson(`${url}/api/chat/history/${userId}`, { headers })).body as HistoryBody;
}

/** A conversation in `GET /conversations`. */
export interface ListedConversation {
  id: string;
  message_count: number;
}

/** The caller's conversations (`GET /conversations`). */
export async function conversationsOf(url: string, headers: Record<string, string> = {}): Promise<ListedConversation[]> {
  return ((await requestJson(`${url}/conversations`, { headers })).body as { conversations: ListedConversation[] }).conversations;
}

/** A message in `GET /conversations/{id}/messages`: the fields tests compare. */
export interface ListedMessage {
  id: string;
  role: string;
  model: string | null;
  status: string;
  run_id?: string;
}

/** A conversation's messages (`GET /conversations/{id}/messages`), oldest first. */
export async function messagesOf(url: string, conversationId: string, headers: Record<string, string> = {}): Promise<ListedMessage[]> {
  return ((await requestJson(`${url}/conversations/${conversationId}/messages`, { headers })).body as { messages: ListedMessage[] }).messages;
}

/** Each message as `[role, model, status]`: the course a conversation took. */
export function courseOf(messages: readonly ListedMessage[]): [string, string | null, string][] {
  return messages.map((message) => [message.role, message.model, message.status]);
}
