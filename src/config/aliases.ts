/**
 * PARLEY_MODEL_ALIASES: model names clients send (a seed's
 * `openassistant-medium`), mapped to what Parley asks a provider for. Parsed
 * into the registry's {@link ModelAliases}; every target is checked at
 * startup so that a request never finds an alias pointing nowhere.
 */
import type { ModelAliases, ModelTarget } from '../providers/registry.js';
import { ConfigError } from './errors.js';

const VARIABLE = 'PARLEY_MODEL_ALIASES';
const SHAPE = 'must be a JSON object of model names to a target ("provider:model" or a model id) or an array of targets';

/** Provider names a target may start with. */
export interface AliasProviders {
  /** Providers configured in this process (including `mock`). */
  configured: readonly string[];
  /** Every provider name Parley knows, configured or not (`openrouter`, `openai`, `groq` …). */
  known: readonly string[];
}

/**
 * One target: `name:model` picks provider `name` when `name` is a provider
 * Parley knows; anything else (`gpt-4o-mini`, `llama3.2:3b`) is a model id
 * for the default provider.
 * @throws ConfigError naming the alias when its provider is known but not configured.
 */
function parseTarget(alias: string, target: string, providers: AliasProviders): ModelTarget {
  const separator = target.indexOf(':');
  const prefix = separator > 0 ? target.slice(0, separator) : undefined;
  if (prefix === undefined || !providers.known.includes(prefix)) return { model: target };
  if (!providers.configured.includes(prefix)) {
    throw new ConfigError(
      VARIABLE,
      `alias ${JSON.stringify(alias)} targets provider "${prefix}", which is not configured (configured: ${providers.configured.join(', ')})`,
    );
  }
  const model = target.slice(separator + 1).trim();
  if (model === '') throw new ConfigError(VARIABLE, `alias ${JSON.stringify(alias)} names provider "${prefix}" but no model`);
  return { provider: prefix, model };
}

function targetTexts(alias: string, value: unknown): string[] {
  const texts = Array.isArray(value) ? (value as unknown[]) : [value];
  if (texts.length === 0) throw new ConfigError(VARIABLE, `alias ${JSON.stringify(alias)} has an empty list of targets`);
  return texts.map((text) => {
    if (typeof text !== 'string' || text.trim() === '') throw new ConfigError(VARIABLE, `alias ${JSON.stringify(alias)}: every target must be a non-empty string`);
    return text.trim();
  });
}

/**
 * Parses PARLEY_MODEL_ALIASES. A target may be one string or an array of
 * strings (the first is used; the array is kept whole for fallbacks).
 * @param json the variable's value; undefined means no aliases.
 * @throws ConfigError naming the variable (and the alias) for bad JSON, a bad
 *   shape, a target whose provider is not configured, or a target that is itself an alias.
 */
export function buildModelAliases(json: string | undefined, providers: AliasProviders): ModelAliases {
  if (json === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ConfigError(VARIABLE, `${SHAPE}; it is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError(VARIABLE, SHAPE);
  const aliases: Record<string, ModelTarget[]> = {};
  for (const [alias, value] of Object.entries(parsed)) {
    if (alias.trim() === '') throw new ConfigError(VARIABLE, 'an alias name is empty');
    aliases[alias] = targetTexts(alias, value).map((target) => parseTarget(alias, target, providers));
  }
  for (const [alias, targets] of Object.entries(aliases)) {
    const chained = targets.find((target) => target.provider === undefined && Object.hasOwn(aliases, target.model));
    if (chained !== undefined) {
      throw new ConfigError(VARIABLE, `alias ${JSON.stringify(alias)} targets the alias ${JSON.stringify(chained.model)}; aliases do not chain, name its target`);
    }
  }
  return aliases;
}
