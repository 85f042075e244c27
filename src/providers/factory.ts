/**
 * The factory table: which adapter builds each provider kind. Adding a kind is
 * adding its folder under src/providers/, a member of {@link ProviderConfig},
 * and a row here (the table's type makes a missing row a compile error).
 */
import { createAnthropicProvider } from './anthropic/index.js';
import type { ProviderConfig, ProviderKind } from './config.js';
import { createGoogleProvider } from './google/index.js';
import { createMockProvider } from './mock/index.js';
import { createOpenAICompatibleProvider } from './openai-compatible/index.js';
import type { Provider } from './types.js';

/** A factory for each kind, typed by that kind's configuration. */
export const PROVIDER_FACTORIES: { readonly [Kind in ProviderKind]: (config: Extract<ProviderConfig, { kind: Kind }>) => Provider } = {
  'openai-compatible': createOpenAICompatibleProvider,
  mock: createMockProvider,
  anthropic: createAnthropicProvider,
  google: createGoogleProvider,
};

/** Builds the provider a configuration describes. */
export function createProvider(config: ProviderConfig): Provider {
  // TypeScript cannot correlate `config.kind` with the table's row type; the
  // mapped type above guarantees every row takes its own kind's configuration.
  const factory = PROVIDER_FACTORIES[config.kind] as (config: ProviderConfig) => Provider;
  return factory(config);
}
