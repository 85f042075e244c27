/**
 * Provider configuration: a union by `kind`, one member per adapter, each the
 * adapter's own option type. The config loader builds these from the
 * environment; {@link createProvider} turns them into providers.
 */
import type { MockProviderOptions } from './mock/index.js';
import type { AnthropicConfig } from './anthropic/config.js';
import type { GoogleConfig } from './google/config.js';
import type { OpenAICompatibleConfig } from './openai-compatible/config.js';

/** One configured provider. */
export type ProviderConfig =
  | ({ kind: 'openai-compatible' } & OpenAICompatibleConfig)
  | ({ kind: 'mock'; name: 'mock' } & MockProviderOptions)
  | ({ kind: 'anthropic' } & AnthropicConfig)
  | ({ kind: 'google' } & GoogleConfig);

/** The adapters Parley has. */
export type ProviderKind = ProviderConfig['kind'];

/** A provider reached over the network: every kind but the built-in mock. */
export type RemoteProviderConfig = Exclude<ProviderConfig, { kind: 'mock' }>;
