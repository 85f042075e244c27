/**
 * Configuration of the one adapter that serves every OpenAI-compatible provider
 * (after vercel/ai `createOpenAICompatible`). Providers differ only in the data
 * here — base URL, key and headers — never in code.
 */
import type { ProviderInputs } from '../types.js';

/** One configured OpenAI-compatible provider. Built once at startup, then frozen. */
export interface OpenAICompatibleConfig {
  /** Provider name, used as the `name:` model prefix and in error messages (`openrouter`, `groq`, …). */
  name: string;
  /**
   * API root without a trailing slash, e.g. `https://api.openai.com/v1`; the
   * adapter appends `/chat/completions` and `/models`.
   */
  baseURL: string;
  /** Sent as `Authorization: Bearer <apiKey>` when set; local servers (Ollama, vLLM, llama.cpp) need none. */
  apiKey?: string;
  /**
   * Extra request headers sent on every call, e.g. OpenRouter's attribution
   * headers ({@link attributionHeaders}). They override the adapter's defaults
   * (names compared case-insensitively), so a provider that wants a different
   * auth header can set it here.
   */
  headers: Record<string, string>;
  /** Model id (as the provider names it) used when a request names none. */
  defaultModel: string;
  /** Attachments it takes; default OpenAI's (`OPENAI_INPUTS` in parts.ts). */
  inputs?: ProviderInputs;
  /**
   * Milliseconds to wait for the response headers (counted from when the
   * request is written to a connection, not while it waits for one), then
   * again for the first body byte of a stream (or the headers of
   * `GET /models`), before failing with `upstream_timeout`. Once a byte
   * arrives, {@link idleTimeoutMs} bounds the gaps instead.
   */
  firstByteTimeoutMs: number;
  /**
   * Once streaming, fail with `upstream_timeout` when no byte arrives for this
   * long (ms): a stalled stream must not hold a run open forever.
   */
  idleTimeoutMs: number;
  /**
   * Most connections open to this provider at once; a call beyond it waits
   * for a free connection. Undefined or 0: no limit.
   */
  maxConnections?: number;
  /**
   * How many times the caller retries a retryable failure before the first byte.
   * The adapter itself never retries: it only reports `retryable` on its errors.
   */
  maxRetries: number;
}

/**
 * Known base URLs. Data only: choosing a preset never changes the adapter's
 * behaviour, and any other OpenAI-compatible server works by giving its URL.
 */
export const PRESETS = {
  openrouter: { baseURL: 'https://openrouter.ai/api/v1' },
  openai: { baseURL: 'https://api.openai.com/v1' },
  deepseek: { baseURL: 'https://api.deepseek.com/v1' },
  groq: { baseURL: 'https://api.groq.com/openai/v1' },
  together: { baseURL: 'https://api.together.xyz/v1' },
  ollama: { baseURL: 'http://127.0.0.1:11434/v1' },
  vllm: { baseURL: 'http://127.0.0.1:8000/v1' },
  llamacpp: { baseURL: 'http://127.0.0.1:8080/v1' },
} as const satisfies Record<string, { baseURL: string }>;

/** Names of the known base URLs in {@link PRESETS}. */
export type PresetName = keyof typeof PRESETS;

// Header values may not carry control characters (CR/LF would split the header;
// undici rejects them outright), so a title from an env var is cleaned first.
function headerValue(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

/**
 * OpenRouter "app attribution" headers (https://openrouter.ai/docs/app-attribution):
 * `HTTP-Referer` is the app's URL, `X-Title` its display name. Other providers
 * ignore them, so sending them everywhere is harmless. Missing or blank values
 * are left out.
 *
 * @param appUrl the app's public URL (the seeds' `APP_URL`).
 * @param appTitle the app's name (the seeds' `APP_TITLE`).
 * @returns zero, one or two headers.
 */
export function attributionHeaders(appUrl?: string, appTitle?: string): Record<string, string> {
  const headers: Record<string, string> = {};
  const referer = appUrl === undefined ? '' : headerValue(appUrl);
  const title = appTitle === undefined ? '' : headerValue(appTitle);
  if (referer !== '') headers['HTTP-Referer'] = referer;
  if (title !== '') headers['X-Title'] = title;
  return headers;
}
