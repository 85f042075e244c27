/**
 * The playground's calls to Parley besides the chat stream itself: models,
 * conversations, stored chat history, stop and sibling switching. Every
 * call carries the API key from the page's key field when there is one.
 */
import type { UIMessage } from 'ai';

/** Metadata Parley puts on assistant UIMessages (src/http/surfaces/ai-sdk/ui-stream.ts). */
export interface AnswerMetadata {
  runId?: string;
  model?: string;
  status?: string;
  finishReason?: string;
  usage?: { prompt_tokens: number; completion_tokens: number; reasoning_tokens: number; cached_tokens: number };
  siblings?: string[];
}

export type ChatMessage = UIMessage<AnswerMetadata>;

/** A conversation as `GET /conversations` lists it. */
export interface ConversationSummary {
  id: string;
  title: string | null;
  external_id: string | null;
  updated_at: string;
  message_count: number;
}

const KEY_STORAGE = 'parley.apiKey';

/** The API key kept in localStorage ('' when none). */
export function storedKey(): string {
  return localStorage.getItem(KEY_STORAGE) ?? '';
}

/** Keeps (or, when empty, forgets) the API key. */
export function storeKey(key: string): void {
  if (key === '') localStorage.removeItem(KEY_STORAGE);
  else localStorage.setItem(KEY_STORAGE, key);
}

/** Request headers carrying the key, if any. */
export function authHeaders(): Record<string, string> {
  const key = storedKey();
  return key === '' ? {} : { 'x-api-key': key };
}

/** A failed call, with Parley's error code when the body had one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Turns an error body (Parley's `{"error": {code, message}}` or plain text) into a sentence for the page. */
export function describeError(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  let code = error instanceof ApiError ? error.code : '';
  let message = raw;
  try {
    const parsed = JSON.parse(raw) as { error?: { code?: string; message?: string } };
    code = parsed.error?.code ?? code;
    message = parsed.error?.message ?? raw;
  } catch {
    const match = /^([a-z_]+): (.*)$/s.exec(raw);
    if (match !== null) [, code = '', message = raw] = match;
  }
  const hints: Record<string, string> = {
    rate_limited: 'Rate limited: wait a moment and try again.',
    upstream_rate_limited: 'The provider is rate limiting: wait a moment and try again.',
    model_not_found: 'Model not found: pick another model.',
    upstream_unavailable: 'The provider is down or unreachable.',
    upstream_timeout: 'The provider did not answer in time.',
    upstream_auth_failed: "The provider refused Parley's provider key.",
    missing_api_key: 'This server needs an API key: enter it above.',
    invalid_api_key: 'The API key is not valid.',
    conflict: 'An answer is still streaming in this chat.',
  };
  const hint = hints[code];
  return hint === undefined ? message : `${hint} (${message})`;
}

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(path, { ...init, headers: { ...authHeaders(), ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers } });
  const text = await response.text();
  if (!response.ok) {
    let code = 'http_error';
    let message = `${response.status} ${response.statusText}`;
    try {
      const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
      code = parsed.error?.code ?? code;
      message = parsed.error?.message ?? message;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, code, message);
  }
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/** Model ids from `GET /v1/models`. */
export async function listModels(): Promise<string[]> {
  const body = await call<{ data: { id: string }[] }>('/v1/models');
  return body.data.map((model) => model.id);
}

/** The caller's conversations, most recent first. */
export async function listConversations(): Promise<ConversationSummary[]> {
  return (await call<{ conversations: ConversationSummary[] }>('/conversations?limit=50')).conversations;
}

/** A chat's stored messages; empty for a chat not started yet. */
export async function loadMessages(chatId: string): Promise<ChatMessage[]> {
  try {
    return (await call<{ messages: ChatMessage[] }>(`/ai-sdk/chat/${encodeURIComponent(chatId)}/messages`)).messages;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return [];
    throw error;
  }
}

/** Stops the chat's running answer on the server (a client abort would only disconnect). */
export async function stopAnswer(chatId: string): Promise<void> {
  await call(`/ai-sdk/chat/${encodeURIComponent(chatId)}/stop`, { method: 'POST' });
}

/** Switches to a sibling answer; returns the chat's messages after the switch. */
export async function switchBranch(chatId: string, messageId: string): Promise<ChatMessage[]> {
  return (await call<{ messages: ChatMessage[] }>(`/ai-sdk/chat/${encodeURIComponent(chatId)}/branch`, { method: 'POST', body: JSON.stringify({ messageId }) })).messages;
}
