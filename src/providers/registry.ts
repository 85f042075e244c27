/**
 * The configured providers and model resolution. A model id is passed to the
 * provider as the provider names it (OpenRouter ids contain slashes, Ollama's
 * colons); only a `name:` prefix that matches a configured provider is taken as
 * a provider choice and removed.
 */
import { ParleyError } from '../errors.js';
import type { ModelInfo, Provider } from './types.js';

/** A provider and the model id to send it. */
export interface ResolvedModel {
  provider: Provider;
  model: string;
}

/** What the registry is built from. */
export interface ProviderRegistryOptions {
  /** Built providers (see ./factory.ts), in priority order; names must be unique. */
  providers: readonly Provider[];
  /** Name of the provider for models without a `name:` prefix; must be one of `providers`. */
  defaultProvider: string;
  /** Model used when a request names none, possibly `name:`-prefixed; else the default provider's own. */
  defaultModel?: string;
}

/** All providers of this process. */
export class ProviderRegistry {
  private readonly providers = new Map<string, Provider>();
  private readonly defaultProvider: Provider;
  private readonly defaultModel: string | undefined;

  /** @throws Error when two providers share a name or the default provider is not among them. */
  constructor(options: ProviderRegistryOptions) {
    for (const provider of options.providers) {
      if (this.providers.has(provider.name)) throw new Error(`two providers are named "${provider.name}"`);
      this.providers.set(provider.name, provider);
    }
    const defaultProvider = this.providers.get(options.defaultProvider);
    if (defaultProvider === undefined) throw new Error(`the default provider "${options.defaultProvider}" is not configured`);
    this.defaultProvider = defaultProvider;
    this.defaultModel = options.defaultModel;
  }

  /** Names of the configured providers, default first. */
  names(): string[] {
    return [this.defaultProvider.name, ...[...this.providers.keys()].filter((name) => name !== this.defaultProvider.name)];
  }

  /** Whether only the built-in mock is configured. */
  get mockOnly(): boolean {
    return [...this.providers.keys()].every((name) => name === 'mock');
  }

  /**
   * Resolves a requested model (possibly `provider:`-prefixed) or, when none is
   * given, the configured default.
   */
  resolve(requested?: string | null): ResolvedModel {
    const spec = requested ?? this.defaultModel;
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
