/**
 * Route schema validation with Ajv. Bodies are checked strictly (a number is
 * not silently turned into a string); query strings, params and headers are
 * text on the wire, so those are coerced to the declared types.
 */
import { Ajv, type Options } from 'ajv';
import formatsModule from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';

// ajv-formats is CommonJS with a `default` property; under NodeNext the
// default import is the module object.
const addFormats = formatsModule.default;

function makeAjv(coerceTypes: Options['coerceTypes']): Ajv {
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
  addFormats(ajv);
  return ajv;
}

/** Installs the validator compiler on `app`. */
export function installValidation(app: FastifyInstance): void {
  const strict = makeAjv(false);
  const coercing = makeAjv('array');
  app.setValidatorCompiler(({ schema, httpPart }: { schema: FastifySchema; httpPart?: string }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema as object),
  );
}
