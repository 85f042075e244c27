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

/** Caches the registry's model list for `ttlSeconds`. */
export class ModelCatalog {
  private entry: { models: ModelInfo[]; expires: number } | undefined;
  private pending: Promise<ModelInfo[]> | undefined;

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly ttlSeconds: number,
  ) {}

  /**
   * The models, fetched when the cache is empty or stale; concurrent callers
   * share one upstream request.
   * @throws ParleyError when the default provider's list fails and nothing is cached.
   */
  async list(): Promise<ModelListing> {
    if (this.entry !== undefined && this.entry.expires > Date.now()) return { models: this.entry.models, cached: true };
    this.pending ??= this.registry.listModels().finally(() => (this.pending = undefined));
    const models = await this.pending;
    this.entry = { models, expires: Date.now() + this.ttlSeconds * 1000 };
    return { models, cached: false };
  }
}
