/**
 * Parley's Prometheus metrics, in a registry of their own (not prom-client's
 * global one, so several apps in one process, as in tests, do not share
 * counts). `GET /metrics` renders it in the Prometheus text exposition format
 * 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * Names follow the Prometheus naming conventions: a `parley_` prefix, base
 * units (seconds), `_total` on counters. Other parts of Parley record into the
 * exported metric objects, e.g. `context.metrics.cacheHits.inc({ cache: 'responses' })`.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Request and stream durations: from a cached answer (ms) to a long stream (minutes). */
const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** Time to first token: providers answer in tens of milliseconds to tens of seconds. */
const FIRST_TOKEN_BUCKETS_SECONDS = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 13, 20, 30, 60];

/** Every metric Parley exports. */
export class ParleyMetrics {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry();

  /** HTTP requests by method, route pattern (`/conversations/:id`, `unmatched` for 404s) and status. */
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  /**
   * Seconds from a request's arrival until its response ended; an event
   * stream is observed over its whole life. Status 499: the client left
   * before any response was sent.
   */
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  /** Seconds from `run.started` to the run's first answer or reasoning text, by provider and model. */
  readonly timeToFirstToken: Histogram<'provider' | 'model'>;
  /** Seconds from `run.started` to the run's terminal event. */
  readonly runDuration: Histogram<'provider' | 'model' | 'outcome'>;
  /**
   * Tokens as providers report them, by model and direction (`prompt`,
   * `completion`, `reasoning`); reasoning tokens are also counted in
   * `completion`, as OpenAI's usage counts them.
   */
  readonly tokens: Counter<'model' | 'direction'>;
  /** Runs that failed, by error code (`upstream_timeout`, `upstream_rate_limited` …; see src/errors.ts). */
  readonly upstreamErrors: Counter<'code'>;
  /** Finished runs by surface (`openai`, `conversations` …) and outcome (`completed`, `failed`, `cancelled`). */
  readonly runs: Counter<'surface' | 'outcome'>;
  /** Runs streaming now. */
  readonly activeRuns: Gauge;
  /** Event-stream (SSE) responses open now. */
  readonly openStreams: Gauge;
  /** Cache lookups that found an entry, by cache name (e.g. `responses`). */
  readonly cacheHits: Counter<'cache'>;
  /** Cache lookups that found nothing, by cache name. */
  readonly cacheMisses: Counter<'cache'>;
  /** Requests refused by a rate limit, by limit name (e.g. `key_per_minute`, `ip_per_minute`). */
  readonly rateLimitRejections: Counter<'limit'>;

  constructor() {
    const registers = [this.registry];
    // Process metrics (CPU, memory, event loop lag, GC) under their standard names.
    collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({
      name: 'parley_http_requests_total',
      help: 'HTTP requests by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpRequestDuration = new Histogram({
      name: 'parley_http_request_duration_seconds',
      help: 'Seconds from request arrival to the end of its response (streams: their whole life).',
      labelNames: ['method', 'route', 'status'],
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    });
    this.timeToFirstToken = new Histogram({
      name: 'parley_time_to_first_token_seconds',
      help: 'Seconds from run start to the first answer or reasoning text.',
      labelNames: ['provider', 'model'],
      buckets: FIRST_TOKEN_BUCKETS_SECONDS,
      registers,
    });
    this.runDuration = new Histogram({
      name: 'parley_run_duration_seconds',
      help: 'Seconds from run start to its terminal event.',
      labelNames: ['provider', 'model', 'outcome'],
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    });
    this.tokens = new Counter({
      name: 'parley_tokens_total',
      help: 'Tokens reported by providers, by model and direction (prompt, completion, reasoning; reasoning is part of completion).',
      labelNames: ['model', 'direction'],
      registers,
    });
    this.upstreamErrors = new Counter({
      name: 'parley_upstream_errors_total',
      help: 'Failed runs by error code.',
      labelNames: ['code'],
      registers,
    });
    this.runs = new Counter({
      name: 'parley_runs_total',
      help: 'Finished runs by surface and outcome (completed, failed, cancelled).',
      labelNames: ['surface', 'outcome'],
      registers,
    });
    this.activeRuns = new Gauge({ name: 'parley_active_runs', help: 'Runs streaming now.', registers });
    this.openStreams = new Gauge({ name: 'parley_open_streams', help: 'Event-stream (SSE) responses open now.', registers });
    this.cacheHits = new Counter({
      name: 'parley_cache_hits_total',
      help: 'Cache lookups that found an entry, by cache.',
      labelNames: ['cache'],
      registers,
    });
    this.cacheMisses = new Counter({
      name: 'parley_cache_misses_total',
      help: 'Cache lookups that found nothing, by cache.',
      labelNames: ['cache'],
      registers,
    });
    this.rateLimitRejections = new Counter({
      name: 'parley_rate_limit_rejections_total',
      help: 'Requests refused by a rate limit, by limit.',
      labelNames: ['limit'],
      registers,
    });
  }

  /**
   * Exports the SQLite write-ahead log's size (`parley_sqlite_wal_bytes`) and
   * the checkpoints the worker thread ran (`parley_sqlite_checkpoints_total`),
   * read from `figures` when /metrics is scraped. A WAL that keeps growing
   * means checkpoints are not keeping up (a reader holding an old snapshot, or
   * the worker gone). Nothing is exported when `figures` gives undefined at
   * the start (PostgreSQL).
   * @param figures the store's checkpoint figures (Store.walCheckpoints).
   */
  watchSqliteWal(figures: () => { checkpoints: number; walBytes: number } | undefined): void {
    if (figures() === undefined) return;
    const registers = [this.registry];
    new Gauge({
      name: 'parley_sqlite_wal_bytes',
      help: "Size of SQLite's write-ahead log file, bytes, at the checkpoint worker's last look.",
      registers,
      collect() {
        this.set(figures()?.walBytes ?? 0);
      },
    });
    new Counter({
      name: 'parley_sqlite_checkpoints_total',
      help: 'WAL checkpoints run by the checkpoint worker thread.',
      registers,
      collect() {
        this.reset();
        this.inc(figures()?.checkpoints ?? 0);
      },
    });
  }

  /** The `Content-Type` of {@link render}'s output. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in the Prometheus text exposition format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/**
 * Caps the distinct values of a label that clients can influence (model
 * names): past `limit` values, new ones are reported as `other`, so a client
 * sending random model names cannot grow the metrics without bound.
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(private readonly limit = 100) {}

  /** `value` if already seen or room is left, else `other`. */
  of(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.limit) return 'other';
    this.seen.add(value);
    return value;
  }
}
