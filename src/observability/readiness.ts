/**
 * Readiness (`GET /health/ready`): whether this instance should get traffic.
 * Liveness (`GET /health`) says the process runs; readiness also checks the
 * database (and Redis when REDIS_URL is set), the default provider, and that the instance is not shutting down,
 * so a load balancer or Kubernetes stops routing to it before it refuses work.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import { ParleyError } from '../errors.js';
import type { ModelInfo } from '../providers/types.js';

/** One check's result; `error` is a short code, never internals (the route is public). */
export interface CheckResult {
  status: 'ok' | 'failed';
  /** How long the check took, ms. */
  duration_ms: number;
  /** Why it failed: a Parley error code (`upstream_auth_failed` …), `timeout` or `unavailable`. */
  error?: string;
}

/** The readiness report, the body of `GET /health/ready`. */
export interface ReadinessReport {
  status: 'ready' | 'not_ready';
  /** `redis` only when REDIS_URL is set. */
  checks: { database: CheckResult; redis?: CheckResult; providers: CheckResult; accepting: CheckResult };
  /** Names of the failed checks. */
  failed: string[];
  /** When the database and provider checks ran (ISO 8601). */
  checked_at: string;
  /** Whether those results come from the cache. */
  cached: boolean;
}

/** Dependencies and timings of the probe. */
export interface ReadinessOptions {
  /** Pings the database; false when it does not answer. */
  database: { ping(): Promise<boolean> };
  /** Pings Redis; false when it does not answer. Without it there is no `redis` check. */
  redis?: { ping(): Promise<boolean> };
  /** Lists the models of the providers; throws when the default provider fails. */
  providers: { listModels(signal?: AbortSignal): Promise<ModelInfo[]> };
  /** Whether the run manager refuses new runs (shutdown). */
  draining: () => boolean;
  logger?: () => FastifyBaseLogger | undefined;
  /** How long results are reused, ms: probes every few seconds must not each call the provider. */
  cacheMs?: number;
  /** Longest a check may take before it counts as failed, ms. */
  timeoutMs?: number;
}

type CachedChecks = Pick<ReadinessReport['checks'], 'database' | 'redis' | 'providers'> & { checkedAt: number };

const DEFAULT_CACHE_MS = 10_000;
const DEFAULT_TIMEOUT_MS = 3_000;

class CheckTimeout extends Error {}

/** Runs and caches the readiness checks; concurrent callers share one run. */
export class ReadinessProbe {
  private cached: CachedChecks | undefined;
  private pending: Promise<CachedChecks> | undefined;

  constructor(private readonly options: ReadinessOptions) {}

  /** The current report; database and provider results may be up to `cacheMs` old. */
  async check(): Promise<ReadinessReport> {
    const cacheMs = this.options.cacheMs ?? DEFAULT_CACHE_MS;
    let fresh = false;
    if (this.cached === undefined || Date.now() - this.cached.checkedAt >= cacheMs) {
      this.pending ??= this.runChecks().finally(() => (this.pending = undefined));
      this.cached = await this.pending;
      fresh = true;
    }
    const { database, redis, providers, checkedAt } = this.cached;
    const draining = this.options.draining();
    const accepting: CheckResult = draining ? { status: 'failed', duration_ms: 0, error: 'shutting_down' } : { status: 'ok', duration_ms: 0 };
    const checks: ReadinessReport['checks'] = redis === undefined ? { database, providers, accepting } : { database, redis, providers, accepting };
    const failed = Object.entries(checks)
      .filter((entry): entry is [string, CheckResult] => entry[1] !== undefined)
      .filter(([, result]) => result.status === 'failed')
      .map(([name]) => name);
    return {
      status: failed.length === 0 ? 'ready' : 'not_ready',
      checks,
      failed,
      checked_at: new Date(checkedAt).toISOString(),
      cached: !fresh,
    };
  }

  private async runChecks(): Promise<CachedChecks> {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const { redis } = this.options;
    const [database, redisCheck, providers] = await Promise.all([
      this.timed('database', timeoutMs, async () => {
        if (!(await this.options.database.ping())) throw new Error('database ping failed');
      }),
      redis === undefined
        ? undefined
        : this.timed('redis', timeoutMs, async () => {
            if (!(await redis.ping())) throw new Error('redis ping failed');
          }),
      this.timed('providers', timeoutMs, (signal) => this.options.providers.listModels(signal)),
    ]);
    return { database, ...(redisCheck === undefined ? {} : { redis: redisCheck }), providers, checkedAt: Date.now() };
  }

  /** Runs `work` with a deadline; the signal lets it abort its own I/O, the race covers work that ignores it. */
  private async timed(name: string, timeoutMs: number, work: (signal: AbortSignal) => Promise<unknown>): Promise<CheckResult> {
    const started = performance.now();
    const controller = new AbortController();
    try {
      await Promise.race([
        work(controller.signal),
        sleep(timeoutMs, undefined, { signal: controller.signal }).then(() => {
          throw new CheckTimeout();
        }),
      ]);
      return { status: 'ok', duration_ms: elapsed(started) };
    } catch (error) {
      const code = error instanceof CheckTimeout ? 'timeout' : error instanceof ParleyError ? error.code : 'unavailable';
      this.options.logger?.()?.warn({ err: error, check: name, code }, 'readiness check failed');
      return { status: 'failed', duration_ms: elapsed(started), error: code };
    } finally {
      controller.abort();
    }
  }
}

function elapsed(startedMs: number): number {
  return Math.round(performance.now() - startedMs);
}
