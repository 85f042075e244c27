/**
 * Reads every variable of {@link VARIABLES} from the environment into typed
 * {@link Settings}: each value is converted (`"8000"` → 8000) and checked
 * against its schema, and its type is the schema's static type, so the
 * builders that turn settings into component options need no casts.
 */
import type { Static } from 'typebox';
import Value from 'typebox/value';
import { ConfigError } from './errors.js';
import { VARIABLES, type VariableSpec } from './variables.js';

/** Environment variables as `process.env` holds them (after `.env` was loaded). */
export type Environment = Readonly<Record<string, string | undefined>>;

type Variables = typeof VARIABLES;

/** The value a spec reads as: its schema's type, or also undefined when it has no default. */
export type SettingValue<Spec extends VariableSpec> = Spec extends { default: unknown } ? Static<Spec['schema']> : Static<Spec['schema']> | undefined;

/** Every variable's checked value, keyed like {@link VARIABLES}. */
export type Settings = { readonly [Key in keyof Variables]: SettingValue<Variables[Key]> };

/** Whether a variable may hold a secret (a key, or a URL with a password), so its value is never echoed. */
function isSecret(name: string): boolean {
  return /KEY|DATABASE_URL|REDIS_URL/.test(name);
}

/**
 * The first set name's value, converted and checked; the default when none is
 * set (blank counts as unset).
 * @throws ConfigError naming the variable when the value does not match the schema.
 */
function read(environment: Environment, spec: VariableSpec): unknown {
  const name = spec.names.find((candidate) => (environment[candidate] ?? '').trim() !== '');
  if (name === undefined) return spec.default;
  const trimmed = (environment[name] ?? '').trim();
  const raw = spec.lowercase === true ? trimmed.toLowerCase() : trimmed;
  const value = Value.Convert(spec.schema, raw);
  if (!Value.Check(spec.schema, value)) {
    const [first] = Value.Errors(spec.schema, value);
    const shown = isSecret(name) ? '(hidden)' : JSON.stringify(raw);
    throw new ConfigError(name, `invalid value ${shown}: ${first?.message ?? 'does not match'} (${spec.description})`);
  }
  return value;
}

/**
 * Reads and checks every variable.
 * @throws ConfigError naming the first bad variable.
 */
export function readSettings(environment: Environment): Settings {
  const entries = Object.entries(VARIABLES).map(([key, spec]: [string, VariableSpec]) => [key, read(environment, spec)] as const);
  // Each value was checked against its own schema above (defaults are checked by
  // test/config.test.ts), which is what the mapped type states.
  return Object.fromEntries(entries) as Settings;
}
