/**
 * Fallbacks across the targets of an alias (PARLEY_MODEL_ALIASES with a list):
 * which failures move a run to its next target, and the cool-down that skips
 * a target which just failed. Provider-neutral: it looks only at error codes,
 * which every adapter maps the same way (5xx, Anthropic 529 `overloaded_error`
 * and connection failures → `upstream_unavailable`, 429 → `upstream_rate_limited`,
 * no first byte in time → `upstream_timeout`).
 */
import type { ErrorCode } from '../errors.js';
import type { ParleyError } from '../errors.js';
import type { ResolvedTarget } from '../providers/registry.js';

/**
 * Codes that mean "this target cannot answer now, another may": only these,
 * and only before the target's first byte, switch a run to the next target.
 * A bad request, a refused key or an unknown model would fail the same way on
 * the next target or is the client's to fix, so they end the run.
 */
const SWITCHING_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['upstream_unavailable', 'upstream_rate_limited', 'upstream_timeout']);

/** Whether a failure before the first byte moves a run to its next target. */
export function switchesTarget(error: ParleyError): boolean {
  return SWITCHING_CODES.has(error.code);
}

/** `provider:model`: how a target is named in keys, logs and messages. */
export function targetName(target: ResolvedTarget): string {
  return `${target.provider.name}:${target.model}`;
}

/**
 * A circuit breaker per target (`provider:model`): a target that failed before
 * its first byte is skipped for `cooldownMs` (PARLEY_FALLBACK_COOLDOWN_SECONDS),
 * so a dead provider does not add its timeout or retries to every request.
 * In-process: each instance learns on its own, which costs one failed call per
 * instance per cool-down.
 */
export class TargetCooldown {
  /** Target name → when its cool-down ends, ms since the epoch. */
  private readonly until = new Map<string, number>();

  /** @param cooldownMs how long a failed target is skipped, ms; 0 never skips. */
  constructor(private readonly cooldownMs: number) {}

  /**
   * The targets to try, in order: those not cooling down. When every target
   * is cooling down they are all tried, in order, rather than failing a
   * request without asking anyone.
   */
  order<Target extends ResolvedTarget>(targets: readonly Target[]): readonly Target[] {
    const now = Date.now();
    const open = targets.filter((target) => (this.until.get(targetName(target)) ?? 0) <= now);
    return open.length === 0 ? targets : open;
  }

  /** Starts the target's cool-down. */
  failed(target: ResolvedTarget): void {
    if (this.cooldownMs > 0) this.until.set(targetName(target), Date.now() + this.cooldownMs);
  }

  /** Ends the target's cool-down: it answered. */
  succeeded(target: ResolvedTarget): void {
    this.until.delete(targetName(target));
  }
}
