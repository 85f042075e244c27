/** Small statistics the benchmark reports are made of. */

/**
 * The `fraction` quantile (0.5 = median, 0.99 = p99) of `values` by the
 * nearest-rank method: the smallest value with at least that share of values
 * at or below it. NaN for no values. Does not modify `values`.
 */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/**
 * Least-squares slope of y over x (units of y per unit of x), or NaN when
 * fewer than two distinct x values were given.
 */
export function slope(points: readonly { x: number; y: number }[]): number {
  const count = points.length;
  if (count < 2) return Number.NaN;
  const meanX = points.reduce((sum, point) => sum + point.x, 0) / count;
  const meanY = points.reduce((sum, point) => sum + point.y, 0) / count;
  let covariance = 0;
  let variance = 0;
  for (const { x, y } of points) {
    covariance += (x - meanX) * (y - meanY);
    variance += (x - meanX) ** 2;
  }
  return variance === 0 ? Number.NaN : covariance / variance;
}

/** Counts occurrences of each distinct message, for error summaries. */
export class Tally {
  readonly #counts = new Map<string, number>();

  add(message: string): void {
    this.#counts.set(message, (this.#counts.get(message) ?? 0) + 1);
  }

  get total(): number {
    let total = 0;
    for (const count of this.#counts.values()) total += count;
    return total;
  }

  /** `{message: count}`, most frequent first. */
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.#counts].sort((a, b) => b[1] - a[1]));
  }
}
