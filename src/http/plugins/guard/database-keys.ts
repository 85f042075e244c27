/**
 * Keys made by `parley keys create`, checked against the `api_keys` table, and
 * the authenticator that accepts either those or the API_KEYS ones.
 *
 * The table is read at most once per cache window (PARLEY_KEY_CACHE_SECONDS,
 * default 5 s), so a key created by the CLI starts working, and a revoked one
 * stops, within that delay on every running server, without a restart.
 */
import { timingSafeEqual } from 'node:crypto';
import { keyDigest, type Authenticator, type Principal } from '../auth.js';

/** An unrevoked key as the authenticator needs it: its id, SHA-256 hex digest and own rate limit. */
export interface StoredKey {
  id: string;
  key_hash: string;
  rate_limit_per_minute: number | null;
}

/** Where keys made by `parley keys create` are read from (the store's `api_keys`, wired in app.ts). */
export interface KeyRecords {
  /** Every unrevoked key. */
  listActive(): Promise<readonly StoredKey[]>;
}

interface CachedKey {
  digest: Buffer;
  principal: Principal;
}

/** Authenticates against unrevoked database keys, with a short cache. */
export class DatabaseKeyAuthenticator implements Authenticator {
  private cached: { loadedAt: number; keys: CachedKey[] } | undefined;
  private loading: Promise<CachedKey[]> | undefined;

  /**
   * @param cacheMs how long a read of the table is reused; 0 reads it on every call.
   * @param now clock, for tests.
   */
  constructor(
    private readonly repository: KeyRecords,
    private readonly cacheMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True while at least one unrevoked key exists. */
  async isEnabled(): Promise<boolean> {
    return (await this.keys()).length > 0;
  }

  /** The key's principal (`key_<id>` with its own rate limit), or undefined. */
  async authenticate(key: string): Promise<Principal | undefined> {
    const presented = keyDigest(key);
    let match: Principal | undefined;
    // Fixed-length digests compared in constant time, every candidate checked:
    // timing reveals neither which key nor how much of one matched.
    for (const candidate of await this.keys()) if (timingSafeEqual(candidate.digest, presented)) match = candidate.principal;
    return match;
  }

  private async keys(): Promise<CachedKey[]> {
    if (this.cached !== undefined && this.now() - this.cached.loadedAt < this.cacheMs) return this.cached.keys;
    // Concurrent requests after expiry share one query.
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<CachedKey[]> {
    const loadedAt = this.now();
    const rows = await this.repository.listActive();
    const keys = rows.map((row) => ({
      digest: Buffer.from(row.key_hash, 'hex'),
      principal: {
        ownerId: `key_${row.id}`,
        ...(row.rate_limit_per_minute === null ? {} : { rateLimitPerMinute: row.rate_limit_per_minute }),
      },
    }));
    this.cached = { loadedAt, keys };
    return keys;
  }
}

/** Accepts a key any of its authenticators accepts, tried in order; enabled when any is. */
export class AnyOfAuthenticator implements Authenticator {
  constructor(private readonly authenticators: readonly Authenticator[]) {}

  async isEnabled(): Promise<boolean> {
    for (const authenticator of this.authenticators) if (await authenticator.isEnabled()) return true;
    return false;
  }

  async authenticate(key: string): Promise<Principal | undefined> {
    for (const authenticator of this.authenticators) {
      const principal = await authenticator.authenticate(key);
      if (principal !== undefined) return principal;
    }
    return undefined;
  }
}
