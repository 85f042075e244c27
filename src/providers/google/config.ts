/**
 * Configuration of the native Google Gemini adapter (Gemini API,
 * https://ai.google.dev/api/generate-content). Built once at startup, then frozen.
 */

/** The Gemini API root, version included, that Google's SDKs call by default. */
export const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';

/** One configured Gemini provider. */
export interface GoogleConfig {
  /** Provider name, the `name:` model prefix (`google`). */
  name: string;
  /**
   * API root with its version (`https://generativelanguage.googleapis.com/v1beta`);
   * the adapter appends `/models/{model}:streamGenerateContent?alt=sse` and `/models`.
   */
  baseURL: string;
  /** Sent as `x-goog-api-key`. */
  apiKey: string;
  /** Extra request headers; they override the adapter's defaults. */
  headers: Record<string, string>;
  /** Model id used when a request names none. */
  defaultModel: string;
  /**
   * `thinkingConfig.thinkingBudget` for requests that name no reasoning effort:
   * -1 lets the model decide, 0 turns thinking off (where the model allows);
   * undefined sends none, leaving the model's default.
   */
  thinkingBudgetTokens: number | undefined;
  /** See OpenAICompatibleConfig.firstByteTimeoutMs. */
  firstByteTimeoutMs: number;
  /** See OpenAICompatibleConfig.idleTimeoutMs. */
  idleTimeoutMs: number;
  /** See OpenAICompatibleConfig.maxConnections. */
  maxConnections?: number;
}
