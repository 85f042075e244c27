/**
 * Configuration of the native Anthropic Messages adapter
 * (https://docs.anthropic.com/en/api/messages). Built once at startup, then frozen.
 */

/** The Messages API version every request names (`anthropic-version`). */
export const ANTHROPIC_VERSION = '2023-06-01';

/** The API root the official SDKs use when `ANTHROPIC_BASE_URL` is unset. */
export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

/** One configured Anthropic provider. */
export interface AnthropicConfig {
  /** Provider name, the `name:` model prefix (`anthropic`). */
  name: string;
  /**
   * API root as the official SDKs take it (`https://api.anthropic.com`); the
   * adapter appends `/v1/messages` and `/v1/models`. A root that already ends in
   * `/v1` (vercel/ai's convention) is accepted as is.
   */
  baseURL: string;
  /** Sent as `x-api-key`. */
  apiKey: string;
  /** Extra request headers (e.g. `anthropic-beta`); they override the adapter's defaults. */
  headers: Record<string, string>;
  /** Model id used when a request names none. */
  defaultModel: string;
  /** `max_tokens` for requests that set none: the Messages API requires one. */
  maxTokens: number;
  /**
   * Extended thinking budget (tokens) for requests that name no reasoning
   * effort; 0 leaves thinking off. Anthropic's minimum is 1,024.
   */
  thinkingBudgetTokens: number;
  /** See OpenAICompatibleConfig.firstByteTimeoutMs. */
  firstByteTimeoutMs: number;
  /** See OpenAICompatibleConfig.idleTimeoutMs. */
  idleTimeoutMs: number;
  /** See OpenAICompatibleConfig.maxConnections. */
  maxConnections?: number;
}

/** `baseURL` as the root that `/v1/…` paths are appended to. */
export function apiRoot(baseURL: string): string {
  return baseURL.replace(/\/+$/, '').replace(/\/v1$/, '');
}
