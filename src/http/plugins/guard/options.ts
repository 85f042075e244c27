/** Settings of the guard rails, built by the configuration loader (src/config/guard.ts). */
import type { ContentFilterConfig } from '../../../runs/content-filter.js';

/** Chat-starting requests allowed per minute; 0 turns a window off. */
export interface RateLimitOptions {
  /** Per client address within a key (PARLEY_RATE_LIMIT_IP_PER_MINUTE). */
  ipPerMinute: number;
  /** Per key, unless the key has its own limit (PARLEY_RATE_LIMIT_KEY_PER_MINUTE). */
  keyPerMinute: number;
}

/** Production guard rails. */
export interface GuardConfig {
  /** How long database keys are cached, ms; 0 reads them on every request. */
  keyCacheMs: number;
  /** Chat-starting requests per minute; 0 means no limit. */
  rateLimits: RateLimitOptions;
  /** Lowercase Host patterns; empty means any host is served. */
  trustedHosts: string[];
  /** What user text must pass; enforced by the core (src/runs/content-filter.ts). */
  contentFilter: ContentFilterConfig;
}
