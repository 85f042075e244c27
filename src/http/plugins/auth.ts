/**
 * Client authentication. When client keys exist (API_KEYS / INTERNAL_API_KEY,
 * or unrevoked keys made by `parley keys create`) every route except health
 * and docs requires one, as `x-api-key` or `Authorization: Bearer`; 401 when
 * none is sent, 403 when it is wrong or revoked. Each key is its own tenant.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ParleyError } from '../../errors.js';

/** Who is calling: the tenant id every stored row is scoped to. */
export interface Principal {
  /**
   * `anonymous` when auth is off, else a stable id of the key: `key_<first 16
   * hex of its SHA-256>` for API_KEYS, `key_<id>` for keys made by `parley keys`.
   */
  ownerId: string;
  /** The key's own chat rate limit (requests per minute); undefined uses the configured default. */
  rateLimitPerMinute?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Route needs no client key (health checks). */
    public?: boolean;
  }
}

/** Resolves presented keys to principals. */
export interface Authenticator {
  /** Whether any key is required at all; may change at runtime (keys made or revoked by the CLI). */
  isEnabled(): Promise<boolean>;
  /** The principal for a presented key, or undefined when it is not valid. */
  authenticate(key: string): Promise<Principal | undefined>;
}

/**
 * SHA-256 of `value` (UTF-8), 32 bytes. The one-shot `crypto.hash` (Node
 * 20.12) skips the Hash object `createHash` builds on every request.
 */
export function keyDigest(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

/** Keys from API_KEYS / INTERNAL_API_KEY, compared in constant time. */
export class StaticKeyAuthenticator implements Authenticator {
  private readonly keys: { digest: Buffer; ownerId: string }[];

  constructor(keys: readonly string[]) {
    this.keys = keys.map((key) => {
      const hashed = keyDigest(key);
      return { digest: hashed, ownerId: `key_${hashed.toString('hex').slice(0, 16)}` };
    });
  }

  isEnabled(): Promise<boolean> {
    return Promise.resolve(this.keys.length > 0);
  }

  authenticate(key: string): Promise<Principal | undefined> {
    // Comparing fixed-length digests keeps timing independent of the key's
    // length and of where it first differs; every key is checked.
    const presented = keyDigest(key);
    let match: string | undefined;
    for (const candidate of this.keys) if (timingSafeEqual(candidate.digest, presented)) match = candidate.ownerId;
    return Promise.resolve(match === undefined ? undefined : { ownerId: match });
  }
}

/** The key a request presents, from `x-api-key` or `Authorization: Bearer`. */
export function presentedKey(headers: FastifyRequest['headers']): string | undefined {
  const header = headers['x-api-key'];
  const apiKey = Array.isArray(header) ? header[0] : header;
  if (apiKey !== undefined && apiKey !== '') return apiKey;
  const authorization = headers.authorization;
  const match = authorization === undefined ? null : /^Bearer\s+(.+)$/i.exec(authorization);
  return match?.[1]?.trim();
}

/** Resolves a key to a principal; throws 401/403 ParleyErrors. */
export async function authenticateKey(authenticator: Authenticator, key: string | undefined): Promise<Principal> {
  if (!(await authenticator.isEnabled())) return { ownerId: 'anonymous' };
  if (key === undefined || key === '') {
    throw new ParleyError('missing_api_key', 'An API key is required: send x-api-key or Authorization: Bearer.');
  }
  const principal = await authenticator.authenticate(key);
  if (principal === undefined) throw new ParleyError('invalid_api_key', 'The API key is not valid.');
  return principal;
}

/** Installs the `onRequest` hook that sets `request.principal`. */
export function installAuth(app: FastifyInstance, authenticator: Authenticator): void {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    // The interactive docs are static pages; browsers cannot add a key header to them.
    // One read of routeOptions: Fastify builds a new object on every access.
    const route = request.routeOptions;
    if (route.config.public === true || route.url?.startsWith('/docs') === true) {
      request.principal = { ownerId: 'anonymous' };
      return;
    }
    request.principal = await authenticateKey(authenticator, presentedKey(request.headers));
  });
}
