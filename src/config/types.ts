/**
 * The validated, frozen configuration passed down from `main.ts`. Nothing reads
 * `process.env` after it is built.
 */
import type { OpenAICompatibleConfig } from '../providers/openai-compatible/config.js';
import type { ThinkingMode } from '../runs/thinking/index.js';

/** Log levels pino understands. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** Settings of the built-in `mock` provider. */
export interface MockProviderConfig {
  /** Pause between streamed chunks, ms. */
  chunkDelayMs: number;
}

/** Limits on what a client may send. */
export interface InputLimits {
  bodyLimitBytes: number;
  maxMessageChars: number;
  maxMessages: number;
}

/** The whole configuration. */
export interface Config {
  host: string;
  port: number;
  /** Whether `host` was chosen by default because no client keys are set. */
  hostDefaultedToLoopback: boolean;
  trustProxy: boolean | number | string;
  logLevel: LogLevel;
  corsOrigins: string[];
  appTitle: string;
  appUrl?: string;
  systemPrompt?: string;
  /** Default model, possibly `provider:`-prefixed. */
  model?: string;
  temperature?: number;
  maxTokens?: number;
  /** OpenAI-compatible providers in priority order; the mock is always present besides. */
  providers: OpenAICompatibleConfig[];
  defaultProvider: string;
  mock: MockProviderConfig;
  /** Client keys from API_KEYS and INTERNAL_API_KEY; empty means no auth. */
  apiKeys: string[];
  dataDir: string;
  limits: InputLimits;
  historyMessages: number;
  /** Default thinking mode of conversation surfaces. */
  thinking: ThinkingMode;
  runLogTtlSeconds: number;
  modelsCacheSeconds: number;
  upstreamRetries: number;
  version: string;
}
