/**
 * Option reading shared by the benchmark scripts: a flag wins over its
 * environment variable, which wins over the default; bad values stop the
 * script with a message naming the flag.
 */

/** Thrown for an option value the script cannot use. */
export class OptionError extends Error {}

/**
 * A number from `flag` (already parsed by `util.parseArgs`), else the
 * environment variable `variable`, else `fallback`. Throws OptionError unless it
 * is finite and at least `min` (and an integer when `integer`).
 */
export function numberOption(
  flag: string | undefined,
  variable: string,
  fallback: number,
  rules: { min: number; integer?: boolean; name: string },
): number {
  const raw = flag ?? process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < rules.min || (rules.integer === true && !Number.isInteger(value))) {
    const kind = rules.integer === true ? 'an integer' : 'a number';
    throw new OptionError(`--${rules.name} (or ${variable}) must be ${kind} >= ${rules.min}, got "${raw}"`);
  }
  return value;
}

/**
 * A comma-separated list from `flag`, else `variable`, else `fallback`;
 * throws OptionError for an item not in `allowed`.
 */
export function listOption<T extends string>(flag: string | undefined, variable: string, allowed: readonly T[], fallback: readonly T[], name: string): T[] {
  const raw = flag ?? process.env[variable];
  if (raw === undefined || raw.trim() === '') return [...fallback];
  const items = raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
  for (const item of items) {
    if (!allowed.includes(item as T)) throw new OptionError(`--${name} (or ${variable}): unknown "${item}"; choose from ${allowed.join(', ')}`);
  }
  return items as T[];
}

/** Whether a boolean environment variable is set to a true value (`1`, `true`, `yes`). */
export function envFlag(variable: string): boolean {
  return /^(1|true|yes)$/i.test(process.env[variable] ?? '');
}

/** `KEY=VALUE` pairs (from repeated `--env` flags) as an object; throws OptionError on a pair without `=`. */
export function environmentPairs(pairs: readonly string[] | undefined): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new OptionError(`--env expects KEY=VALUE, got "${pair}"`);
    environment[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return environment;
}

/** A help text: `title`, then one aligned line per `[flag, meaning, environment variable]`. */
export function usage(title: string, rows: readonly (readonly [string, string, string?])[]): string {
  const flagWidth = Math.max(...rows.map(([flag]) => flag.length));
  const textWidth = Math.max(...rows.map(([, text]) => text.length));
  const lines = rows.map(([flag, text, variable]) => `  ${flag.padEnd(flagWidth)}  ${variable === undefined ? text : `${text.padEnd(textWidth)}  (${variable})`}`);
  return `${title}\n\n${lines.join('\n')}`;
}
