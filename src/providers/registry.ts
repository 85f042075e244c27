/**
 * The configured providers and model resolution. A model id is passed to the
 * provider as the provider names it (OpenRouter ids contain slashes, Ollama's
 * colons); only a `name:` prefix that matches a configured provider is taken as
 * a provider choice and removed. A model alias (PARLEY_MODEL_ALIASES) is
 * replaced by its target first, on every surface, since they all resolve here.
 */
import { ParleyError } from '../errors.js';
import type { ModelInfo, Provider } from './types.js';

/** Where an alias points: a provider (undefined: the default one) and the model id it knows. */
export interface ModelTarget {
  provider?: string;
  model: string;
}

/**
 * Model names clients send, mapped to their targets in order of preference:
 * a run tries the next one when a target fails before its first byte (see
 * src/runs/fallback.ts).
 */
export type ModelAliases = Readonly<Record<string, readonly ModelTarget[]>>;

/** What the registry is built from. */
export interface ProviderRegistryOptions {
  /** Built providers (see ./factory.ts), in priority order; names must be unique. */
  providers: readonly Provider[];
  /** Name of the provider for models without a `name:` prefix; must be one of `providers`. */
  defaultProvider: string;
  /** Model used when a request names none, possibly `name:`-prefixed or an alias; else the default provider's own. */
  defaultModel?: string;
  /** Model names clients send, mapped to targets (PARLEY_MODEL_ALIASES); none by default. */
  modelAliases?: ModelAliases;
}

/** A built provider and the model id to send it. */
export interface ResolvedTarget {
  provider: Provider;
  model: string;
}

/** A provider and the model id to send it, and the fallbacks after it. */
export interface ResolvedModel extends ResolvedTarget {
  /**
   * Every target in order of preference, the first being `provider`/`model`:
   * one for a plain model, the alias's whole list for a fallback alias.
   */
  targets: readonly ResolvedTarget[];
  /**
   * The alias the request named, when it named one: what clients are shown
   * (stored messages, `/v1` answers) while `model` is what the provider gets.
   */
  alias?: string;
}

/** `provider:model`, or the bare model for the default provider; how targets are shown. */
export function formatTarget(target: ModelTarget): string {
  return target.provider === undefined ? target.model : `${target.provider}:${target.model}`;
}

function single(provider: Provider, model: string): ResolvedModel {
  return { provider, model, targets: [{ provider, model }] };
}

/** All providers of this process. */
export class ProviderRegistry {
  private readonly providers = new Map<string, Provider>();
  private readonly defaultProvider: Provider;
  private readonly aliases: ModelAliases;
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
    this.aliases = options.modelAliases ?? {};
    this.defaultModel = options.defaultModel;
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
   * Resolves a requested model (an alias, possibly `provider:`-prefixed id) or,
   * when none is given, the configured default.
   * @throws ParleyError `validation_failed` for a `provider:` prefix without a model.
   */
  resolve(requested?: string | null): ResolvedModel {
    const spec = requested ?? this.defaultModel;
    if (spec === undefined || spec === '') return single(this.defaultProvider, this.defaultProvider.defaultModel);
    const aliased = Object.hasOwn(this.aliases, spec) ? this.aliases[spec] : undefined;
    // Checked at startup: an alias names only configured providers.
    const targets = (aliased ?? []).flatMap((target): ResolvedTarget[] => {
      const provider = target.provider === undefined ? this.defaultProvider : this.providers.get(target.provider);
      return provider === undefined ? [] : [{ provider, model: target.model }];
    });
    const first = targets[0];
    if (first !== undefined) return { ...first, targets, alias: spec };
    const separator = spec.indexOf(':');
    if (separator > 0) {
      const named = this.providers.get(spec.slice(0, separator));
      if (named !== undefined) {
        const model = spec.slice(separator + 1);
        if (model === '') throw new ParleyError('validation_failed', `Model "${spec}" names a provider but no model.`, { param: 'model' });
        return single(named, model);
      }
    }
    return single(this.defaultProvider, spec);
  }

  /** Provider by name. */
  get(name: string): Provider | undefined {
    return this.providers.get(name);
  }

  /**
   * Models of every provider, then the aliases; ids of non-default providers
   * carry their `name:` prefix so they can be passed back as is. An alias is
   * listed with `alias_for`, its target (`provider:model`).
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
    const aliases = Object.entries(this.aliases).flatMap(([alias, targets]): ModelInfo[] => {
      const target = targets[0];
      if (target === undefined) return [];
      return [{ id: alias, owned_by: target.provider ?? this.defaultProvider.name, alias_for: formatTarget(target) }];
    });
    // An alias shadows a provider model of the same id (it resolves to its target).
    return [...lists.flat().filter((model) => !Object.hasOwn(this.aliases, model.id)), ...aliases];
  }

  async close(): Promise<void> {
    await Promise.all([...this.providers.values()].map((provider) => provider.close()));
  }
}
