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

type NativeKind = keyof typeof DEFAULT_MODELS;

/** What sets one native provider apart: the rest (name, headers, default model, transport) is common. */
type NativeFields<Kind extends NativeKind> = Omit<Extract<RemoteProviderConfig, { kind: Kind }>, 'kind' | 'name' | 'headers' | 'defaultModel' | keyof TransportSettings>;

/** Each native provider's own fields from the settings, or undefined when its key is unset; in build order. */
const NATIVE_FIELDS: { [Kind in NativeKind]: (settings: Settings) => NativeFields<Kind> | undefined } = {
  anthropic: ({ anthropicApiKey: apiKey, anthropicBaseUrl, anthropicMaxTokens, anthropicThinkingBudget }) =>
    apiKey === undefined
      ? undefined
      : { apiKey, baseURL: anthropicBaseUrl ?? ANTHROPIC_DEFAULT_BASE_URL, maxTokens: anthropicMaxTokens, thinkingBudgetTokens: anthropicThinkingBudget },
  google: ({ geminiApiKey: apiKey, geminiBaseUrl, geminiThinkingBudget }) =>
    apiKey === undefined ? undefined : { apiKey, baseURL: geminiBaseUrl ?? GEMINI_DEFAULT_BASE_URL, thinkingBudgetTokens: geminiThinkingBudget },
};

/** One native provider's config, or undefined when its key is unset. */
function nativeProvider<Kind extends NativeKind>(kind: Kind, settings: Settings, model: string | undefined, transport: TransportSettings): RemoteProviderConfig | undefined {
  const fields = NATIVE_FIELDS[kind](settings);
  if (fields === undefined) return undefined;
  // TypeScript cannot tie `kind` to `fields` through the generic; NATIVE_FIELDS' mapped type does.
  return { kind, name: kind, headers: {}, defaultModel: model ?? DEFAULT_MODELS[kind], ...fields, ...transport } as Extract<RemoteProviderConfig, { kind: Kind }>;
}

/**
 * The `anthropic` and `google` providers whose keys are set, in that order.
 * @param model a seed's unprefixed MODEL_NAME, which becomes every provider's default model.
 */
export function buildNativeProviders(settings: Settings, model: string | undefined, transport: TransportSettings): RemoteProviderConfig[] {
  return (Object.keys(NATIVE_FIELDS) as NativeKind[]).flatMap((kind) => nativeProvider(kind, settings, model, transport) ?? []);
}
