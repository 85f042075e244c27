/**
 * The providers with adapters of their own (not OpenAI-compatible): Anthropic
 * (`ANTHROPIC_API_KEY`) and Google Gemini (`GEMINI_API_KEY` / `GOOGLE_API_KEY`),
 * built from the typed settings.
 */
import { ANTHROPIC_DEFAULT_BASE_URL } from '../providers/anthropic/config.js';
import type { RemoteProviderConfig } from '../providers/config.js';
import { GEMINI_DEFAULT_BASE_URL } from '../providers/google/config.js';
import type { Settings } from './settings.js';

/** Transport limits every provider shares. */
export interface TransportSettings {
  firstByteTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
}

/** Defaults when a provider is the default one and no MODEL_NAME is set. */
const DEFAULT_MODELS = { anthropic: 'claude-sonnet-4-5', google: 'gemini-2.5-flash' } as const;

/**
 * The `anthropic` and `google` providers whose keys are set, in that order.
 * @param model a seed's unprefixed MODEL_NAME, which becomes every provider's default model.
 */
export function buildNativeProviders(settings: Settings, model: string | undefined, transport: TransportSettings): RemoteProviderConfig[] {
  const providers: RemoteProviderConfig[] = [];
  if (settings.anthropicApiKey !== undefined) {
    providers.push({
      kind: 'anthropic',
      name: 'anthropic',
      baseURL: settings.anthropicBaseUrl ?? ANTHROPIC_DEFAULT_BASE_URL,
      apiKey: settings.anthropicApiKey,
      headers: {},
      defaultModel: model ?? DEFAULT_MODELS.anthropic,
      maxTokens: settings.anthropicMaxTokens,
      thinkingBudgetTokens: settings.anthropicThinkingBudget,
      ...transport,
    });
  }
  if (settings.geminiApiKey !== undefined) {
    providers.push({
      kind: 'google',
      name: 'google',
      baseURL: settings.geminiBaseUrl ?? GEMINI_DEFAULT_BASE_URL,
      apiKey: settings.geminiApiKey,
      headers: {},
      defaultModel: model ?? DEFAULT_MODELS.google,
      thinkingBudgetTokens: settings.geminiThinkingBudget,
      ...transport,
    });
  }
  return providers;
}
