/**
 * Models and providers as the views see them: the cached model list, the
 * default model, the configured providers' names. The provider registry
 * itself stays in the core.
 */
import { ModelCatalog, type ModelListing, type SharedModelCache } from '../providers/model-catalog.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ModelInfo } from '../providers/types.js';

export type { ModelListing } from '../providers/model-catalog.js';

/** What the model service needs of the configuration. */
export interface ModelOptions {
  /** How long the model list is cached, seconds (PARLEY_MODELS_CACHE_SECONDS). */
  cacheSeconds: number;
  /** The cache every instance shares (REDIS_URL); without it the list is cached per instance. */
  shared?: SharedModelCache;
  /** Reports a shared-cache failure. Must not throw. */
  onError?: (error: unknown) => void;
}

/** Models and providers over the registry. */
export class ModelService {
  private readonly catalog: ModelCatalog;

  constructor(
    private readonly registry: ProviderRegistry,
    options: ModelOptions,
  ) {
    this.catalog = new ModelCatalog(registry, options.cacheSeconds, options.shared, options.onError);
  }

  /**
   * The models of every provider, cached.
   * @throws ParleyError when the default provider's list fails and nothing is cached.
   */
  list(): Promise<ModelListing> {
    return this.catalog.list();
  }

  /**
   * The models, asked of the providers now (readiness checks the default provider with it).
   * @throws ParleyError when the default provider's list fails.
   */
  listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    return this.registry.listModels(signal);
  }

  /** The model a request that names none gets, as its provider names it. */
  defaultModel(): string {
    return this.registry.resolve().model;
  }

  /** Names of the configured providers, default first. */
  providerNames(): string[] {
    return this.registry.names();
  }

  /** Whether only the built-in mock provider is configured. */
  get mockOnly(): boolean {
    return this.registry.mockOnly;
  }
}
