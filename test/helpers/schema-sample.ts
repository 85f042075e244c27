/**
 * Request values derived from a route's JSON Schema (TypeBox output): a
 * plausible valid sample for driving a route, and fast-check arbitraries of
 * near-valid and wrongly typed values for fuzzing it.
 */
import fc from 'fast-check';

/** The JSON Schema keywords TypeBox emits for Parley's request schemas. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  const?: unknown;
  enum?: unknown[];
  default?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  minProperties?: number;
  maxItems?: number;
  pattern?: string;
}

/** Values to use for fields by name, e.g. `{ message: 'hello', user_id: 'u1' }`. */
export type FieldHints = Readonly<Record<string, unknown>>;

/** Default hints: what a client would plausibly send for Parley's common fields. */
export const DEFAULT_HINTS: FieldHints = {
  message: 'hello',
  content: 'hello',
  prompt: 'hello',
  text: 'hello',
  input: 'hello',
  query: 'hello',
  model: 'mock-model',
  user_id: 'fuzz-user',
  session_id: 'fuzz-session',
  role: 'user',
};

function alternatives(schema: JsonSchema): JsonSchema[] | undefined {
  return schema.anyOf ?? schema.oneOf;
}

function primaryType(schema: JsonSchema): string | undefined {
  return Array.isArray(schema.type) ? schema.type.find((type) => type !== 'null') : schema.type;
}

/**
 * A value valid against `schema` (as far as these keywords go), preferring
 * `hints` for fields by name. Optional properties are left out unless hinted.
 */
export function sampleValue(schema: JsonSchema, hints: FieldHints = DEFAULT_HINTS, name?: string): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum !== undefined) return name !== undefined && schema.enum.includes(hints[name]) ? hints[name] : schema.enum[0];
  const options = alternatives(schema);
  if (options !== undefined) {
    const hinted = name === undefined ? undefined : options.find((option) => option.const === hints[name] || (option.const === undefined && option.enum === undefined && typeof hints[name] === primaryType(option)));
    return sampleValue(hinted ?? options.find((option) => primaryType(option) !== 'null' && primaryType(option) !== undefined) ?? options[0]!, hints, name);
  }
  if (name !== undefined && name in hints && primaryType(schema) !== 'object' && primaryType(schema) !== 'array') return hints[name];
  switch (primaryType(schema)) {
    case 'object': {
      const value: Record<string, unknown> = {};
      const properties = Object.entries(schema.properties ?? {});
      for (const [key, property] of properties) {
        if (schema.required?.includes(key) === true || key in hints) value[key] = sampleValue(property, hints, key);
      }
      // Fill up to minProperties with optional ones, in declaration order.
      for (const [key, property] of properties) {
        if (Object.keys(value).length >= (schema.minProperties ?? 0)) break;
        if (!(key in value)) value[key] = sampleValue(property, hints, key);
      }
      return value;
    }
    case 'array':
      return Array.from({ length: Math.max(schema.minItems ?? 0, 1) }, () => sampleValue(schema.items ?? {}, hints, name));
    case 'string':
      return 'x'.repeat(Math.max(schema.minLength ?? 1, 1));
    case 'integer':
    case 'number':
      return schema.minimum ?? (schema.maximum !== undefined ? Math.min(schema.maximum, 1) : 1);
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return name !== undefined && name in hints ? hints[name] : 'x';
  }
}

/** Any JSON value of a type `schema` does not accept (or any value when it accepts all). */
export function wrongValueArbitrary(schema: JsonSchema): fc.Arbitrary<unknown> {
  const type = primaryType(schema);
  const all: Record<string, fc.Arbitrary<unknown>> = {
    string: fc.string(),
    integer: fc.integer(),
    number: fc.double(),
    boolean: fc.boolean(),
    null: fc.constant(null),
    object: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue(), { maxKeys: 4 }),
    array: fc.array(fc.jsonValue(), { maxLength: 4 }),
  };
  const wrong = Object.entries(all)
    .filter(([candidate]) => candidate !== type && !(type === 'number' && candidate === 'integer'))
    .map(([, arbitrary]) => arbitrary);
  return fc.oneof(...wrong, fc.jsonValue());
}

/** Values near `schema`: valid-looking shapes whose leaves are random, sometimes too long or out of range. */
export function nearValueArbitrary(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  if (depth > 4) return fc.jsonValue({ maxDepth: 1 });
  if (schema.const !== undefined) return fc.oneof(fc.constant(schema.const), fc.string({ maxLength: 8 }));
  if (schema.enum !== undefined) return fc.oneof(fc.constantFrom(...schema.enum), fc.string({ maxLength: 8 }));
  const options = alternatives(schema);
  if (options !== undefined && options.length > 0) return fc.oneof(...options.map((option) => nearValueArbitrary(option, depth + 1)));
  switch (primaryType(schema)) {
    case 'object': {
      const entries = Object.entries(schema.properties ?? {});
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, property] of entries) record[key] = nearValueArbitrary(property, depth + 1);
      return fc.record(record, { requiredKeys: schema.required?.filter((key) => key in record) ?? [] });
    }
    case 'array':
      return fc.array(nearValueArbitrary(schema.items ?? {}, depth + 1), { maxLength: Math.min(schema.maxItems ?? 4, 4) + 1 });
    case 'string': {
      const limit = schema.maxLength ?? 64;
      // One past a huge limit (an attachment's data: URL) is a body over the route's body limit:
      // the server answers 413 and closes while the client still sends, which tests the socket,
      // not the field. The attachment tests cover those limits.
      const overLimit = limit < 65_536 ? [fc.constant('a'.repeat(limit + 1))] : [];
      return fc.oneof(
        fc.string({ maxLength: Math.min(limit, 64) }),
        fc.string({ unit: 'grapheme', maxLength: 16 }),
        ...overLimit,
        fc.constant(''),
      );
    }
    case 'integer':
      return fc.oneof(fc.integer(), fc.constantFrom(schema.minimum ?? 0, (schema.maximum ?? 1000) + 1, -1, 2 ** 53));
    case 'number':
      return fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(-1, 1e308, 0.5));
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** The sample of an object schema with one property replaced by a wrongly typed value. */
export function oneWrongFieldArbitrary(schema: JsonSchema, hints: FieldHints = DEFAULT_HINTS): fc.Arbitrary<unknown> | undefined {
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) return undefined;
  const base = sampleValue(schema, hints) as Record<string, unknown>;
  return fc
    .constantFrom(...properties)
    .chain(([key, property]) => wrongValueArbitrary(property).map((value) => ({ ...base, [key]: value })));
}
