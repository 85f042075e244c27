/**
 * What every route registration receives: the core's services, built once
 * per app by `buildCore`. Views reach the core only through these; none of
 * them opens the store, the provider registry or the run log.
 */
import type { Config } from '../config/types.js';
import type { CoreServices } from '../core.js';
import type { ParleyMetrics } from '../observability/metrics.js';
import type { RunReader } from '../services/runs.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route starts a run (an upstream call): chat rate limits apply to it. */
    startsRun?: boolean;
    /**
     * The route also resumes runs (`Last-Event-ID`, attaching to a running
     * answer): the chat rate limits are charged only when it starts one, by
     * the handler calling `chargeRunStart` (a resume is not a new chat).
     */
    resumes?: boolean;
  }
}

/**
 * The core services behind the HTTP surfaces: the core's services (src/core.ts)
 * plus the config and metrics, with runs seen through the reader interface.
 */
export interface AppContext extends Omit<CoreServices, 'runs'> {
  config: Readonly<Config>;
  /** Runs: read, cancel, follow; which run a stream follows. */
  runs: RunReader;
  /** Prometheus metrics; e.g. `metrics.cacheHits.inc({ cache: 'responses' })`. */
  metrics: ParleyMetrics;
}
