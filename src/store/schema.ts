/**
 * Table types for Kysely. Timestamps are ISO-8601 UTC strings in both SQLite and
 * PostgreSQL so one schema and one set of migrations serve both dialects; they
 * sort lexicographically in time order.
 */
import type { Generated } from 'kysely';

/** Assistant message lifecycle (DESIGN.md "Run"). User messages are `complete`. */
export type MessageStatus = 'streaming' | 'complete' | 'failed' | 'cancelled' | 'interrupted';

/** Run lifecycle; same values as the message it writes. */
export type RunStatus = MessageStatus;

export interface ApiKeysTable {
  id: string;
  name: string;
  /** SHA-256 hex of the key; the key itself is never stored. */
  key_hash: string;
  /** First characters of the key, to tell keys apart in listings. */
  key_prefix: string;
  rate_limit_per_minute: number | null;
  created_at: string;
  revoked_at: string | null;
}

export interface ConversationsTable {
  id: string;
  /** Tenant: the id of the client key that made it (`anonymous` without auth). */
  owner_id: string;
  /** A seed's `user_id` / `session_id`, unique per owner. */
  external_id: string | null;
  title: string | null;
  default_model: string | null;
  persona: string | null;
  system_prompt: string | null;
  created_at: string;
  updated_at: string;
}

export interface MessagesTable {
  /** UUIDv7: time-ordered, so `ORDER BY id` is creation order. */
  id: string;
  conversation_id: string;
  /** Previous message on its branch; regenerate adds a sibling with the same parent. */
  parent_id: string | null;
  /** 1 when on the conversation's active branch. */
  active: Generated<number>;
  role: 'system' | 'user' | 'assistant';
  content: string;
  reasoning: string | null;
  model: string | null;
  status: MessageStatus;
  finish_reason: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  reasoning_tokens: number | null;
  cached_tokens: number | null;
  /** 1 when the answer was replayed from the response cache (its token counts are then 0); null on user messages and older rows. */
  cache_hit: number | null;
  /** Tokens the original of a cached answer cost (prompt + completion), not spent again. */
  saved_tokens: number | null;
  /** Cost the provider reported for the answer, USD; null when it reported none. */
  cost_usd: number | null;
  error_code: string | null;
  error_message: string | null;
  run_id: string | null;
  /** JSON text of the provider metadata of an assistant answer (see ProviderMetadata); null when none. */
  provider_metadata: string | null;
  /** Provider that wrote an assistant answer; null on user messages and older rows. */
  provider: string | null;
  /** JSON text of a user message's content parts with its attachments (ContentPart[]); null for text only. */
  parts: string | null;
  created_at: string;
  updated_at: string;
}

export interface RunsTable {
  id: string;
  owner_id: string;
  conversation_id: string | null;
  message_id: string | null;
  /** HTTP surface that started it (`openai`, `conversations`, …). */
  surface: string;
  provider: string;
  model: string;
  status: RunStatus;
  finish_reason: string | null;
  prompt_tokens: Generated<number>;
  completion_tokens: Generated<number>;
  reasoning_tokens: Generated<number>;
  cached_tokens: Generated<number>;
  /** 1 when the answer was replayed from the response cache: no provider call, token counts 0. */
  cache_hit: Generated<number>;
  /** Tokens the original of a cached answer cost (prompt + completion), not spent again. */
  saved_tokens: Generated<number>;
  /** Cost the provider reported for the call, USD; null when it reported none. */
  cost_usd: number | null;
  error_code: string | null;
  created_at: string;
  completed_at: string | null;
  /** Instance running it (PARLEY_INSTANCE_ID); null on rows from before leases. */
  instance_id: string | null;
  /** Last heartbeat of that instance for this run. */
  heartbeat_at: string | null;
  /** Until when the run counts as alive without another heartbeat; recovery interrupts it after. */
  lease_expires_at: string | null;
  /** Thinking mode the run used (`auto`, `native`, `structured`, `off`); null on rows from before it was kept. */
  thinking: string | null;
}

/** A stored response of the OpenAI Responses surface (JSON columns are text in both dialects). */
export interface ResponsesTable {
  /** `resp_` and the run id's hex digits. */
  id: string;
  owner_id: string;
  run_id: string;
  conversation_id: string | null;
  /** The assistant message the run writes. */
  message_id: string | null;
  previous_response_id: string | null;
  /** JSON: the request settings echoed on the response object (`StoredResponseRequest`). */
  request: string;
  /** JSON: the input items the response answered (`ResponseInputItem[]`). */
  input_items: string;
  /** JSON: the final answer (`RunAnswer`), written once the run ended. */
  output: string | null;
  created_at: string;
}

/** The database as Kysely sees it. */
export interface Database {
  api_keys: ApiKeysTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  runs: RunsTable;
  responses: ResponsesTable;
}
