/**
 * The pieces every part of the variable table is written with: one variable's
 * spec and the value schemas several variables share.
 */
import Type, { type Static, type TSchema } from 'typebox';

/** One variable (or group of aliases) and the schema its value must satisfy. */
export interface VariableSpec<Schema extends TSchema = TSchema> {
  /** Names in priority order. */
  names: readonly string[];
  schema: Schema;
  /** Used when none of the names is set; a spec without one reads as undefined when unset. */
  default?: Static<Schema>;
  /** Compare case-insensitively: the value is lower-cased before it is checked (`LOG_LEVEL=INFO`). */
  lowercase?: boolean;
  description: string;
}

/** Value schemas several variables share: a TCP port, counts, non-empty text, an http(s) URL, a thinking mode. */
export const port = Type.Integer({ minimum: 0, maximum: 65535 });
export const positiveInt = Type.Integer({ minimum: 1 });
export const nonNegativeInt = Type.Integer({ minimum: 0 });
export const text = Type.String({ minLength: 1 });
export const url = Type.String({ pattern: '^https?://[^\\s]+$' });
export const thinkingMode = Type.Enum(['auto', 'native', 'structured', 'off']);
