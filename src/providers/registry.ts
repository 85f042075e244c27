/**
 * The configured providers and model resolution. A model id is passed to the
 * provider as the provider names it (OpenRouter ids contain slashes, Ollama's
 * colons); only a `name:` prefix that matches a configured provider is taken as
 * a provider choice and removed.
 */
import type { Config } from '../config/types.js';
import { ParleyError } from '../errors.js';
import { createMockProvider } from './mock/index.js';
import { createOpenAICompatibleProvider } from './openai-compatible/index.js';
import type { ModelInfo, Provider } from './types.js';

/** A provider and the model id to send it. */
export interface ResolvedModel {
  provider: Provider;
  model: string;
}

/** All providers of this process. */
export class ProviderRegistry {
  private readonly providers = new Map<string, Provider>();
  private readonly defaultProvider: Provider;

  constructor(private readonly config: Readonly<Config>) {
    for (const providerConfig of config.providers) {
      this.providers.set(providerConfig.name, createOpenAICompatibleProvider(providerConfig));
    }
    this.providers.set('mock', createMockProvider(config.mock));
    this.defaultProvider = this.providers.get(config.defaultProvider) ?? this.providers.get('mock')!;
  }

  /** Names of the configured providers, default first. */
  names(): string[] {
    return [this.defaultProvider.name, ...[...this.providers.keys()].filter((name) => name !== this.defaultProvider.name)];
  }

  /** Whether only the built-in mock is configured. */
  get mockOnly(): boolean {
    return this.providers.size === 1;
  }

  /**
   * Resolves a requested model (possibly `provider:`-prefixed) or, when none is
   * given, the configured default.
   */
  resolve(requested?: string | null): ResolvedModel {
    const spec = requested ?? this.config.model;
    if (spec === undefined || spec === '') return { provider: this.defaultProvider, model: this.defaultProvider.defaultModel };
    const separator = spec.indexOf(':');
    if (separator > 0) {
      const named = this.providers.get(spec.slice(0, separator));
      if (named !== undefined) {
        const model = spec.slice(separator + 1);
        if (model === '') throw new ParleyError('validation_failed', `Model "${spec}" names a provider but no model.`, { param: 'model' });
        return { provider: named, model };
      }
    }
    return { provider: this.defaultProvider, model: spec };
  }

  /** Provider by name. */
  get(name: string): Provider | undefined {
    return this.providers.get(name);
  }

  /**
   * Models of every provider; ids of non-default providers carry their
   * `name:` prefix so they can be passed back as is.
   * @throws ParleyError when the default provider's list fails.
   */
  async listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    const lists = await Promise.all(
      [...this.providers.values()].map(async (provider) => {
        try {
          const models = await provider.listModels(signal);
          return provider === this.defaultProvider ? models : models.map((model) => ({ ...model, id: `${provider.name}:${model.id}` }));
        } catch (error) {
          if (provider === this.defaultProvider) throw error;
          return [];
        }
      }),
    );
    return lists.flat();
  }

  async close(): Promise<void> {
    await Promise.all([...this.providers.values()].map((provider) => provider.close()));
  }
}
