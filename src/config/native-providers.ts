/**
 * The providers with adapters of their own (not OpenAI-compatible): Anthropic
 * (`ANTHROPIC_API_KEY`) and Google Gemini (`GEMINI_API_KEY` / `GOOGLE_API_KEY`),
 * built from the converted variable values of {@link VARIABLES}.
 */
import { ANTHROPIC_DEFAULT_BASE_URL } from '../providers/anthropic/config.js';
import type { ProviderConfig } from '../providers/config.js';
import { GEMINI_DEFAULT_BASE_URL } from '../providers/google/config.js';

/** Transport limits every provider shares. */
export interface TransportSettings {
  firstByteTimeoutMs: number;
  idleTimeoutMs: number;
}

/** Defaults when a provider is the default one and no MODEL_NAME is set. */
const DEFAULT_MODELS = { anthropic: 'claude-sonnet-4-5', google: 'gemini-2.5-flash' } as const;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function count(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) ? value : fallback;
}

/**
 * The `anthropic` and `google` providers whose keys are set, in that order.
 * @param settings converted variable values keyed as in VARIABLES.
 * @param model a seed's unprefixed MODEL_NAME, which becomes every provider's default model.
 */
export function buildNativeProviders(settings: Readonly<Record<string, unknown>>, model: string | undefined, transport: TransportSettings): ProviderConfig[] {
  const providers: ProviderConfig[] = [];
  const anthropicKey = text(settings.anthropicApiKey);
  if (anthropicKey !== undefined) {
    providers.push({
      kind: 'anthropic',
      name: 'anthropic',
      baseURL: text(settings.anthropicBaseUrl) ?? ANTHROPIC_DEFAULT_BASE_URL,
      apiKey: anthropicKey,
      headers: {},
      defaultModel: model ?? DEFAULT_MODELS.anthropic,
      maxTokens: count(settings.anthropicMaxTokens, 4096),
      thinkingBudgetTokens: count(settings.anthropicThinkingBudget, 0),
      ...transport,
    });
  }
  const geminiKey = text(settings.geminiApiKey);
  if (geminiKey !== undefined) {
    const budget = settings.geminiThinkingBudget;
    providers.push({
      kind: 'google',
      name: 'google',
      baseURL: text(settings.geminiBaseUrl) ?? GEMINI_DEFAULT_BASE_URL,
      apiKey: geminiKey,
      headers: {},
      defaultModel: model ?? DEFAULT_MODELS.google,
      thinkingBudgetTokens: typeof budget === 'number' && Number.isInteger(budget) ? budget : undefined,
      ...transport,
    });
  }
  return providers;
}
