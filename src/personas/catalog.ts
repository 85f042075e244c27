/**
 * Personas: named system prompts with an optional default model and
 * temperature, one JSON file each in a directory (`PARLEY_PERSONAS_DIR`),
 * loaded and validated once at startup. A conversation names its persona in
 * its `persona` column; a conversation that names none (or one no longer in
 * the directory) gets the default persona (`PARLEY_DEFAULT_PERSONA`). Seed 002
 * ("Hitesh's Personality") is one persona among others, not a code path.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import { ParleyError } from '../errors.js';

/** Persona names: what fits a file name, a URL and a request field. */
export const PERSONA_NAME_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$';

/** The schema of one persona file, `<name>.json`. */
export const personaSchema = Type.Object(
  {
    name: Type.String({ pattern: PERSONA_NAME_PATTERN }),
    description: Type.String({ minLength: 1, maxLength: 500 }),
    system_prompt: Type.String({ minLength: 1, maxLength: 16_000 }),
    /** Model id (possibly `provider:`-prefixed); null: the configured default. */
    default_model: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Null()])),
    /** Sampling temperature 0–2; null: the configured default. */
    temperature: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Null()])),
  },
  { additionalProperties: false },
);

/** One persona as its file defines it. */
export type Persona = Static<typeof personaSchema>;

/** A persona file that cannot be used; the message names the file (its path). Stops startup. */
export class PersonaLoadError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`persona file ${file}: ${message}`);
    this.name = 'PersonaLoadError';
  }
}

/** The configured fallbacks a default persona yields to (SYSTEM_PROMPT, MODEL_NAME, MODEL_TEMPERATURE). */
export interface GlobalDefaults {
  systemPrompt?: string;
  model?: string;
  temperature?: number;
}

/** What a conversation's persona contributes to its upstream request. */
export interface PersonaSettings {
  /** The persona in effect. */
  name: string;
  systemPrompt?: string;
  model?: string;
  temperature?: number;
}

function describe(error: { instancePath: string; keyword: string; message: string }): string {
  const field = error.instancePath === '' ? 'the file' : error.instancePath.slice(1).replaceAll('/', '.');
  return error.keyword === 'boolean' ? `${field} is not a known field` : `${field} ${error.message}`;
}

function parseFile(directory: string, file: string): Persona {
  const path = join(directory, file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new PersonaLoadError(path, `not readable JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!Value.Check(personaSchema, parsed)) {
    const [first] = Value.Errors(personaSchema, parsed);
    throw new PersonaLoadError(path, first === undefined ? 'does not match the persona schema' : describe(first));
  }
  if (`${parsed.name}.json` !== file) throw new PersonaLoadError(path, `name "${parsed.name}" must match the file name`);
  return parsed;
}

/** The personas of this process, immutable after loading. */
export class PersonaCatalog {
  private constructor(
    private readonly personas: ReadonlyMap<string, Persona>,
    /** The persona of conversations that chose none. */
    readonly defaultPersona: Persona,
  ) {}

  /**
   * Reads every `*.json` file of `directory` (other files are ignored).
   * @throws PersonaLoadError naming the first bad file (unreadable, not JSON,
   *   not matching {@link personaSchema}, name ≠ file name), or the directory
   *   when it cannot be read or lacks the default persona.
   */
  static load(directory: string, defaultName: string): PersonaCatalog {
    let files: string[];
    try {
      files = readdirSync(directory).filter((file) => file.endsWith('.json')).sort();
    } catch (error) {
      throw new PersonaLoadError(directory, `the directory cannot be read (${error instanceof Error ? error.message : String(error)}); set PARLEY_PERSONAS_DIR`);
    }
    const personas = new Map<string, Persona>();
    for (const file of files) {
      const persona = parseFile(directory, file);
      personas.set(persona.name, Object.freeze(persona));
    }
    const fallback = personas.get(defaultName);
    if (fallback === undefined) {
      throw new PersonaLoadError(join(directory, `${defaultName}.json`), `PARLEY_DEFAULT_PERSONA is "${defaultName}" but there is no such persona file`);
    }
    return new PersonaCatalog(personas, fallback);
  }

  /** Every persona, by name. */
  list(): Persona[] {
    return [...this.personas.values()].sort((left, right) => left.name.localeCompare(right.name));
  }

  /** The persona called `name`, if any. */
  get(name: string): Persona | undefined {
    return this.personas.get(name);
  }

  /**
   * The persona a request names.
   * @throws ParleyError `validation_failed` (400, param `persona`) when unknown.
   */
  require(name: string): Persona {
    const persona = this.personas.get(name);
    if (persona === undefined) {
      throw new ParleyError('validation_failed', `persona "${name}" does not exist; available: ${[...this.personas.keys()].join(', ')}.`, { param: 'persona' });
    }
    return persona;
  }

  /**
   * The settings a conversation's persona contributes. A persona the
   * conversation chose beats the global settings; the default persona only
   * fills in what the operator left unset, so a seed's `.env` with
   * `SYSTEM_PROMPT` or `MODEL_TEMPERATURE` keeps working unchanged.
   */
  settingsFor(personaName: string | null, globals: GlobalDefaults): PersonaSettings {
    const chosen = personaName === null ? undefined : this.personas.get(personaName);
    if (chosen !== undefined) {
      return {
        name: chosen.name,
        systemPrompt: chosen.system_prompt,
        model: chosen.default_model ?? globals.model,
        temperature: chosen.temperature ?? globals.temperature,
      };
    }
    const fallback = this.defaultPersona;
    return {
      name: fallback.name,
      systemPrompt: globals.systemPrompt ?? fallback.system_prompt,
      model: globals.model ?? fallback.default_model ?? undefined,
      temperature: globals.temperature ?? fallback.temperature ?? undefined,
    };
  }
}
