/**
 * The model list behind `GET /models` and `GET /v1/models`, cached (seed 001:
 * one hour) so a busy frontend does not hit the provider on every page load.
 */
import type { ProviderRegistry } from './registry.js';
import type { ModelInfo } from './types.js';

/** A listing and whether it came from the cache. */
export interface ModelListing {
  models: ModelInfo[];
  cached: boolean;
}

/** A model list cache every instance shares (Redis with REDIS_URL); see redis/models-cache.ts. */
export interface SharedModelCache {
  /** The list cached by any instance, with how long it stays fresh, ms; undefined when none is. */
  get(): Promise<{ models: ModelInfo[]; ttlMs: number } | undefined>;
  /** Caches the list for `ttlSeconds`. */
  set(models: ModelInfo[], ttlSeconds: number): Promise<void>;
}

/**
 * Caches the registry's model list for `ttlSeconds`; with a shared cache, a
 * list fetched by one instance is served by all until it expires.
 */
export class ModelCatalog {
  private entry: { models: ModelInfo[]; expires: number } | undefined;
  private pending: Promise<ModelInfo[]> | undefined;

  /** @param onError reports a shared-cache failure (the list is then fetched or kept locally). Must not throw. */
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly ttlSeconds: number,
    private readonly shared?: SharedModelCache,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /**
   * The models, fetched when the cache is empty or stale; concurrent callers
   * share one upstream request.
   * @throws ParleyError when the default provider's list fails and nothing is cached.
   */
  async list(): Promise<ModelListing> {
    if (this.entry !== undefined && this.entry.expires > Date.now()) return { models: this.entry.models, cached: true };
    // A shared cache that fails is skipped: the list still comes from the providers.
    const sharedEntry = await this.shared?.get().catch((error: unknown) => void this.onError(error));
    if (sharedEntry !== undefined) {
      this.entry = { models: sharedEntry.models, expires: Date.now() + sharedEntry.ttlMs };
      return { models: sharedEntry.models, cached: true };
    }
    this.pending ??= this.registry.listModels().finally(() => (this.pending = undefined));
    const models = await this.pending;
    this.entry = { models, expires: Date.now() + this.ttlSeconds * 1000 };
    await this.shared?.set(models, this.ttlSeconds).catch(this.onError);
    return { models, cached: false };
  }
}
