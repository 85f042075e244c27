/**
 * The guard rails, installed around auth in `app.ts`:
 *
 * 1. {@link installEdgeGuards} before auth: trusted hosts and security
 *    headers, so that even a 401 carries the headers and a forged host is
 *    refused before anything else;
 * 2. auth (`installAuth`, with {@link createAuthenticator});
 * 3. {@link installChatGuards} after auth: chat rate limits (they need the
 *    key) and the route inventory (before the surfaces register routes).
 *
 * The content filter is part of the core (`src/runs/content-filter.ts`);
 * input limits are each route's schema.
 */
import type { Redis } from 'ioredis';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../../config/types.js';
import { StaticKeyAuthenticator, type Authenticator } from '../auth.js';
import { AnyOfAuthenticator, DatabaseKeyAuthenticator, type KeyRecords } from './database-keys.js';
import { installRateLimits, type RateLimitName } from './rate-limit.js';
import { installRouteInventory } from './route-inventory.js';
import { installSecurityHeaders } from './security-headers.js';
import { installTrustedHosts } from './trusted-hosts.js';

/** Keys from API_KEYS / INTERNAL_API_KEY first, then keys made by `parley keys create`. */
export function createAuthenticator(config: Readonly<Config>, keys: KeyRecords): Authenticator {
  return new AnyOfAuthenticator([new StaticKeyAuthenticator(config.apiKeys), new DatabaseKeyAuthenticator(keys, config.guard.keyCacheMs)]);
}

/** Trusted hosts and security headers; install before auth. */
export function installEdgeGuards(app: FastifyInstance, config: Readonly<Config>): void {
  installTrustedHosts(app, config.guard.trustedHosts);
  installSecurityHeaders(app);
}

/**
 * Chat rate limits and the route inventory; install after auth, before the surfaces.
 * @param onRateLimited counts each refusal (`parley_rate_limit_rejections_total`).
 * @param redis shared rate-limit counters (REDIS_URL).
 */
export async function installChatGuards(
  app: FastifyInstance,
  config: Readonly<Config>,
  onRateLimited?: (limit: RateLimitName) => void,
  redis?: Redis,
): Promise<void> {
  installRouteInventory(app);
  await installRateLimits(app, config.guard.rateLimits, onRateLimited, redis);
}
