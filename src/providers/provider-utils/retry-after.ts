/**
 * When an upstream says to retry: its `Retry-After` header (RFC 9110 §10.2.3,
 * delta-seconds or an HTTP-date) or OpenAI's `retry-after-ms`, as a number of
 * seconds that {@link ParleyError.retryAfterSeconds} carries to the HTTP layer.
 */

/** Header bag as undici returns it. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** The first value of a header that may be repeated. */
export function firstHeader(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const DELTA_SECONDS = /^\d+(?:\.\d+)?$/;

/**
 * Parses one `Retry-After` value.
 *
 * @param value delta-seconds (`"7"`; a decimal such as `"1.5"` is accepted too)
 *   or an HTTP-date (`"Wed, 21 Oct 2015 07:28:00 GMT"`).
 * @param now the current time in ms since the epoch, for dates.
 * @returns seconds from `now` (0 for a date in the past), or undefined when the
 *   value is neither form.
 */
export function parseRetryAfter(value: string, now: number = Date.now()): number | undefined {
  const text = value.trim();
  if (DELTA_SECONDS.test(text)) return Number(text);
  // Date.parse reads the IMF-fixdate form RFC 9110 requires (and the obsolete RFC 850 / asctime forms).
  const at = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, (at - now) / 1000);
}

/**
 * Seconds to wait according to the response headers: `Retry-After` (seconds or
 * HTTP-date), else `retry-after-ms` (OpenAI) converted to seconds; undefined
 * when neither is present and valid.
 */
export function retryAfterFromHeaders(headers: ResponseHeaders, now: number = Date.now()): number | undefined {
  const header = firstHeader(headers, 'retry-after');
  const seconds = header === undefined ? undefined : parseRetryAfter(header, now);
  if (seconds !== undefined) return seconds;
  const milliseconds = Number(firstHeader(headers, 'retry-after-ms'));
  return Number.isFinite(milliseconds) && milliseconds > 0 ? milliseconds / 1000 : undefined;
}
