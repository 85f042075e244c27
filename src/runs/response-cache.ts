/**
 * Response cache: an exact-match cache of whole provider answers, used by the
 * run manager for runs that opt in (`RunSpec.cache`, set only by the seed-002
 * surface, whose README promises cached answers; every other surface promises
 * a fresh generation). The key is the provider name plus the provider-neutral
 * {@link ChatRequest} (system prompts incl. the persona's, model, sampling
 * parameters, the full upstream history), so any difference is a miss.
 *
 * Entries belong to a scope (the tenant): a tenant is never served, shown or
 * able to clear another tenant's answers. {@link ResponseCache} is the seam a
 * Redis-backed cache plugs into; {@link MemoryResponseCache} is the embedded one.
 */
import { createHash } from 'node:crypto';
import type { ChatRequest, Provider, StreamOptions, StreamPart, Usage } from '../providers/types.js';

/** A cacheable answer: the provider's parts in order, without errors, ending with `finish`. */
export type CachedAnswer = readonly StreamPart[];

/** Figures of one scope's cache use; `hit_rate` is hits / (hits + misses), 0 before any lookup. */
export interface ResponseCacheStats {
  entries: number;
  max_entries: number;
  ttl_seconds: number;
  hits: number;
  misses: number;
  hit_rate: number;
}

/** Storage of cached answers; async so a networked store can implement it. */
export interface ResponseCache {
  /** The live entry for `key`, counting a hit or a miss for `scope`. */
  get(scope: string, key: string): Promise<CachedAnswer | undefined>;
  /** Stores an answer; may evict the least recently used entries. */
  set(scope: string, key: string, answer: CachedAnswer): Promise<void>;
  /** Removes the scope's entries; returns how many. */
  clear(scope: string): Promise<number>;
  /** The scope's figures. */
  stats(scope: string): Promise<ResponseCacheStats>;
}

/** Options of the in-memory cache. */
export interface MemoryResponseCacheOptions {
  /** Seconds an entry is served after it was stored. */
  ttlSeconds: number;
  /** Most entries held over all scopes; the least recently used goes first. */
  maxEntries: number;
  /** Called on every hit (e.g. a Prometheus counter); must not throw. */
  onHit?: () => void;
  /** Called on every miss; must not throw. */
  onMiss?: () => void;
  /** Clock in ms, for tests. */
  now?: () => number;
}

interface Entry {
  scope: string;
  answer: CachedAnswer;
  expiresAt: number;
}

/** Cache in process memory: TTL per entry, LRU eviction via Map insertion order. */
export class MemoryResponseCache implements ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private readonly counts = new Map<string, { hits: number; misses: number }>();
  private readonly now: () => number;

  constructor(private readonly options: MemoryResponseCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  get(scope: string, key: string): Promise<CachedAnswer | undefined> {
    const id = entryId(scope, key);
    const entry = this.entries.get(id);
    const counts = this.countsOf(scope);
    if (entry === undefined || entry.expiresAt <= this.now()) {
      if (entry !== undefined) this.entries.delete(id);
      counts.misses += 1;
      this.options.onMiss?.();
      return Promise.resolve(undefined);
    }
    // Re-inserting moves the entry to the young end of the LRU order.
    this.entries.delete(id);
    this.entries.set(id, entry);
    counts.hits += 1;
    this.options.onHit?.();
    return Promise.resolve(entry.answer);
  }

  set(scope: string, key: string, answer: CachedAnswer): Promise<void> {
    const id = entryId(scope, key);
    this.entries.delete(id);
    this.entries.set(id, { scope, answer, expiresAt: this.now() + this.options.ttlSeconds * 1000 });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.options.maxEntries) break;
      this.entries.delete(oldest);
    }
    return Promise.resolve();
  }

  clear(scope: string): Promise<number> {
    let removed = 0;
    for (const [id, entry] of this.entries) {
      if (entry.scope !== scope) continue;
      this.entries.delete(id);
      removed += 1;
    }
    return Promise.resolve(removed);
  }

  stats(scope: string): Promise<ResponseCacheStats> {
    const now = this.now();
    let entries = 0;
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(id);
      else if (entry.scope === scope) entries += 1;
    }
    const { hits, misses } = this.countsOf(scope);
    return Promise.resolve({
      entries,
      max_entries: this.options.maxEntries,
      ttl_seconds: this.options.ttlSeconds,
      hits,
      misses,
      hit_rate: hits + misses === 0 ? 0 : hits / (hits + misses),
    });
  }

  private countsOf(scope: string): { hits: number; misses: number } {
    let counts = this.counts.get(scope);
    if (counts === undefined) {
      counts = { hits: 0, misses: 0 };
      this.counts.set(scope, counts);
    }
    return counts;
  }
}

function entryId(scope: string, key: string): string {
  return `${scope}\u0000${key}`;
}

/** JSON with object keys sorted, so equal requests serialize equally whatever their field order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const fields = Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0))
      .map(([name, field]) => `${JSON.stringify(name)}:${canonicalJson(field)}`);
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The cache key of a request to a provider: SHA-256 (hex) of the provider name and the canonical request. */
export function responseCacheKey(providerName: string, request: ChatRequest): string {
  return createHash('sha256').update(canonicalJson({ provider: providerName, request })).digest('hex');
}

/**
 * The usage of a replayed answer: no provider call, so no tokens spent and no
 * cost; the tokens the original cost are reported as saved (`/usage`
 * `saved_tokens`), never as spent.
 */
export function cacheHitUsage(original: Usage | undefined): Usage {
  const saved = original === undefined ? 0 : original.prompt_tokens + original.completion_tokens;
  return { prompt_tokens: 0, completion_tokens: 0, reasoning_tokens: 0, cached_tokens: 0, cache_hit: true, saved_tokens: saved };
}

/** A cached answer's parts as a hit replays them: its usage part replaced by {@link cacheHitUsage}, always given, before `finish`. */
function replay(cached: CachedAnswer): StreamPart[] {
  const original = cached.findLast((part) => part.type === 'usage');
  const usage: StreamPart = { type: 'usage', usage: cacheHitUsage(original?.type === 'usage' ? original.usage : undefined) };
  const parts = cached.filter((part) => part.type !== 'usage');
  const finish = parts.findIndex((part) => part.type === 'finish');
  return finish < 0 ? [...parts, usage] : [...parts.slice(0, finish), usage, ...parts.slice(finish)];
}

/**
 * Wraps a provider so that `stream` answers from the cache when it can. On a
 * hit the cached parts are replayed without an upstream call, with a usage
 * that spends nothing and names what the original cost as saved; on a miss the
 * upstream parts pass through unchanged and are stored once the stream
 * reached `finish` without an error (a failed, truncated or aborted answer is
 * never cached). Listing models and closing go to the wrapped provider.
 */
export function cachingProvider(provider: Provider, cache: ResponseCache, scope: string): Provider {
  return {
    name: provider.name,
    defaultModel: provider.defaultModel,
    ...(provider.inputs === undefined ? {} : { inputs: provider.inputs }),
    async *stream(request: ChatRequest, options: StreamOptions): AsyncGenerator<StreamPart> {
      const key = responseCacheKey(provider.name, request);
      const cached = await cache.get(scope, key);
      if (cached !== undefined) {
        for (const part of replay(cached)) {
          if (options.signal.aborted) return;
          yield part;
        }
        return;
      }
      const parts: StreamPart[] = [];
      let finished = false;
      let failed = false;
      try {
        for await (const part of provider.stream(request, options)) {
          if (part.type === 'error') failed = true;
          else parts.push(part);
          if (part.type === 'finish') finished = true;
          yield part;
        }
      } finally {
        // Also reached when the consumer stops reading right after `finish`
        // (thinking does): what it read is exactly what a replay must give.
        if (finished && !failed && !options.signal.aborted) await cache.set(scope, key, parts);
      }
    },
    listModels: (signal) => provider.listModels(signal),
    close: () => provider.close(),
  };
}
