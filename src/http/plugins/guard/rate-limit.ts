/**
 * Chat rate limits, on routes whose config has `startsRun: true` (each starts
 * an upstream call; reading history does not count). Routes that also resume
 * (`resumes: true`: `Last-Event-ID`, attaching to a running answer) are
 * charged by their handler through {@link chargeRunStart}, only when they do
 * start a run: resuming or polling never counts. Two fixed one-minute
 * windows, each checked on every charged request:
 *
 * - per key: PARLEY_RATE_LIMIT_KEY_PER_MINUTE, or the key's own
 *   `rate_limit_per_minute` (`parley keys create --rate-limit N`);
 * - per client address within a key: PARLEY_RATE_LIMIT_IP_PER_MINUTE, so one
 *   end user of a frontend's key cannot use up the whole key. Without auth
 *   every caller is `anonymous`, so this is plainly per address. The address
 *   is `request.ip`, which honours PARLEY_TRUST_PROXY.
 *
 * Responses carry the IETF draft headers (draft-ietf-httpapi-ratelimit-headers:
 * `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` in seconds) of
 * the tighter window; a refusal is 429 `rate_limited` with `Retry-After`.
 *
 * Counters live in {@link rateLimitStoreOptions}: this process's memory, or
 * Redis with REDIS_URL, where every instance counts in the same windows.
 */
import rateLimit, { type RateLimitPluginOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { ParleyError } from '../../../errors.js';
import type { Principal } from '../auth.js';
import type { RateLimitOptions } from './options.js';

/** Length of a rate-limit window, ms. */
export const RATE_LIMIT_WINDOW_MS = 60_000;

/**
 * Where the counters live: in Redis when a connection is given (the plugin's
 * RedisStore counts atomically with a Lua script, so N instances share one
 * window), else in an in-memory LRU of this process (limits per instance).
 */
export function rateLimitStoreOptions(redis?: Redis): Pick<RateLimitPluginOptions, 'cache' | 'redis' | 'nameSpace' | 'store'> {
  if (redis !== undefined) return { redis, nameSpace: 'parley:rate-limit:' };
  // Enough distinct key/address pairs for one busy instance; the oldest are evicted first.
  return { cache: 50_000 };
}

/** The state of one window after counting a request. */
interface WindowState {
  limit: number;
  remaining: number;
  resetSeconds: number;
  exceeded: boolean;
}

/** Whose window a chat request is counted in. */
interface RateLimitSubject {
  ownerId: string;
  /** The key's own limit, requests per minute. */
  rateLimitPerMinute?: number;
  /** Client address (`request.ip`). */
  address: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Counts one chat start that arrives without its own HTTP request (a
     * WebSocket message): `request` is the upgrade request, `principal` who
     * the session authenticated as. Returns the draft RateLimit headers.
     * @throws ParleyError `rate_limited` (with `retryAfterSeconds`) when a window is full.
     */
    chargeChatRequest(request: FastifyRequest, principal: Principal): Promise<Record<string, string>>;
  }
}

// The plugin's limiters take the request; the subject rides along with it.
const subjects = new WeakMap<FastifyRequest, RateLimitSubject>();

function subjectOf(request: FastifyRequest): RateLimitSubject {
  return subjects.get(request) ?? { ownerId: request.principal.ownerId, rateLimitPerMinute: request.principal.rateLimitPerMinute, address: request.ip };
}

type Limiter = (request: FastifyRequest) => Promise<WindowState | undefined>;

/** Wraps the plugin's limiter (which counts on call) into a {@link WindowState}; a limit of 0 counts nothing. */
function limiter(app: FastifyInstance, keyOf: (subject: RateLimitSubject) => string, maxOf: (subject: RateLimitSubject) => number): Limiter {
  const check = app.createRateLimit({
    timeWindow: RATE_LIMIT_WINDOW_MS,
    keyGenerator: (request) => keyOf(subjectOf(request)),
    max: (request) => maxOf(subjectOf(request)),
  });
  return async (request) => {
    if (maxOf(subjectOf(request)) <= 0) return undefined;
    const result = await check(request);
    if (result.isAllowed) return undefined;
    return { limit: result.max, remaining: result.remaining, resetSeconds: result.ttlInSeconds, exceeded: result.isExceeded };
  };
}

function draftHeaders(state: WindowState): Record<string, string> {
  return {
    'ratelimit-limit': String(state.limit),
    'ratelimit-remaining': String(state.exceeded ? 0 : state.remaining),
    'ratelimit-reset': String(state.resetSeconds),
  };
}

/** A full window's refusal; the draft headers go on the HTTP answer, `Retry-After` comes from the error. */
class RateLimitRefusal extends ParleyError {
  constructor(readonly draftHeaders: Record<string, string>, limit: number, resetSeconds: number) {
    super('rate_limited', `Too many chat requests: ${limit} per minute; retry in ${resetSeconds} s.`, { retryAfterSeconds: resetSeconds });
  }
}

function refusal(state: WindowState): ParleyError {
  return new RateLimitRefusal(draftHeaders(state), state.limit, state.resetSeconds);
}

/** The window a refusal came from, as the `limit` label of `parley_rate_limit_rejections_total`. */
export type RateLimitName = 'ip_per_minute' | 'key_per_minute';

/**
 * Registers `@fastify/rate-limit` (no global limit), the `onRequest` hook
 * that applies both windows to `startsRun` routes, and
 * `app.chargeChatRequest`. Must be installed after auth: the key window needs
 * `request.principal`.
 * @param onRejected called once per refused request (HTTP or WebSocket), with the full window.
 * @param redis shared counters (REDIS_URL); without it they live in this process.
 */
export async function installRateLimits(
  app: FastifyInstance,
  limits: RateLimitOptions,
  onRejected: (limit: RateLimitName) => void = () => undefined,
  redis?: Redis,
): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    enableDraftSpec: true,
    // A counter store outage (Redis) must not take chat down with it.
    skipOnError: true,
    ...rateLimitStoreOptions(redis),
  });
  const keyLimit = (subject: Pick<RateLimitSubject, 'ownerId' | 'rateLimitPerMinute'>): number => (subject.ownerId === 'anonymous' ? 0 : (subject.rateLimitPerMinute ?? limits.keyPerMinute));
  const perKey = limiter(app, (subject) => `key:${subject.ownerId}`, keyLimit);
  const perAddress = limiter(
    app,
    // IPv6 clients are grouped by /64, as the plugin does: one host holds a whole /64.
    (subject) => `ip:${subject.ownerId}:${rateLimit.normalizeIP(subject.address)}`,
    () => limits.ipPerMinute,
  );

  /** Counts the request in both windows; throws when one is full; returns the tighter window's headers. */
  const charge = async (request: FastifyRequest): Promise<Record<string, string>> => {
    // The address window first: a client over its share does not eat into the key's.
    const address = await perAddress(request);
    if (address?.exceeded === true) {
      onRejected('ip_per_minute');
      throw refusal(address);
    }
    const key = await perKey(request);
    if (key?.exceeded === true) {
      onRejected('key_per_minute');
      throw refusal(key);
    }
    const tighter = [address, key].filter((state): state is WindowState => state !== undefined).sort((left, right) => left.remaining - right.remaining)[0];
    return tighter === undefined ? {} : draftHeaders(tighter);
  };

  app.decorate('chargeChatRequest', (request: FastifyRequest, principal: Principal) => {
    subjects.set(request, { ownerId: principal.ownerId, rateLimitPerMinute: principal.rateLimitPerMinute, address: request.ip });
    return charge(request);
  });
  app.addHook('onRequest', (request, reply, done) => {
    const { startsRun, resumes } = request.routeOptions.config;
    // With both windows off for this caller there is nothing to count and no header to send:
    // no promise chain per request (the windows would each answer "no limit").
    if (startsRun !== true || resumes === true || (limits.ipPerMinute <= 0 && keyLimit(request.principal) <= 0)) {
      done();
      return;
    }
    chargeWithHeaders(reply, () => charge(request)).then(() => done(), done);
  });
}

/** Runs `charging`, putting the draft RateLimit headers on `reply` whether it passes or refuses. */
async function chargeWithHeaders(reply: FastifyReply, charging: () => Promise<Record<string, string>>): Promise<void> {
  try {
    void reply.headers(await charging());
  } catch (error) {
    if (error instanceof RateLimitRefusal) void reply.headers(error.draftHeaders);
    throw error;
  }
}

/**
 * Charges the chat rate limits for a run the request is about to start, on
 * a `resumes: true` route (call it from the `start` step of
 * `resumeOrStart`, never on a resume). The draft headers go on `reply`.
 * @throws ParleyError `rate_limited` (with `retryAfterSeconds`) when a window is full.
 */
export function chargeRunStart(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  return chargeWithHeaders(reply, () => request.server.chargeChatRequest(request, request.principal));
}
