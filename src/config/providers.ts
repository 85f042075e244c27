/**
 * Builds the OpenAI-compatible providers' options from the settings. Which
 * variables enable which provider is data: {@link PROVIDER_PRESETS} for the
 * providers the seeds configure by name (OpenRouter, OpenAI), plus the one
 * generic provider any OpenAI-compatible server is reached through
 * (PARLEY_PROVIDER_BASE_URL, named by PARLEY_PROVIDER_NAME).
 */
import type { RemoteProviderConfig } from '../providers/config.js';
import type { ProviderInputs } from '../providers/types.js';
import { attributionHeaders, PRESETS, type PresetName } from '../providers/openai-compatible/config.js';
import { ConfigError } from './errors.js';
import { buildNativeProviders } from './native-providers.js';
import type { Settings } from './settings.js';

/** A provider enabled by setting its key variable. */
interface ProviderPreset {
  /** Provider name, the `name:` model prefix; its default base URL is in {@link PRESETS}. */
  name: PresetName;
  /** Setting holding the key; the provider is configured when it is set. */
  apiKey: 'openrouterApiKey' | 'openaiApiKey';
  /** Setting that overrides {@link PRESETS}' base URL. */
  baseUrl: 'openrouterBaseUrl' | 'openaiBaseUrl';
  /** Model used when neither a request nor MODEL_NAME names one. */
  defaultModel: string;
  /** Extra headers sent on every call. */
  headers(settings: Settings): Record<string, string>;
}

/**
 * Providers configured by their own variables, in priority order after the
 * generic one. Adding a provider the seeds name by key is one more row.
 */
export const PROVIDER_PRESETS: readonly ProviderPreset[] = [
  {
    name: 'openrouter',
    apiKey: 'openrouterApiKey',
    baseUrl: 'openrouterBaseUrl',
    defaultModel: 'openai/gpt-4o-mini',
    // OpenRouter's app attribution (https://openrouter.ai/docs/app-attribution).
    headers: (settings) => attributionHeaders(settings.appUrl, settings.appTitle),
  },
  { name: 'openai', apiKey: 'openaiApiKey', baseUrl: 'openaiBaseUrl', defaultModel: 'gpt-4o-mini', headers: () => ({}) },
];

/** A model id with a `name:` prefix; such a MODEL_NAME is resolved by the registry, not given to one provider. */
const PROVIDER_PREFIX = /^[a-z][a-z0-9_-]*:/;

/**
 * PARLEY_PROVIDER_HEADERS: a JSON object of header names to string values.
 * @throws ConfigError naming the variable.
 */
function parseHeaders(json: string | undefined): Record<string, string> {
  if (json === undefined || json.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ConfigError('PARLEY_PROVIDER_HEADERS', 'must be a JSON object of header names to string values');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('PARLEY_PROVIDER_HEADERS', 'must be a JSON object of header names to string values');
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw new ConfigError('PARLEY_PROVIDER_HEADERS', `header ${name} must be a string`);
    headers[name] = value;
  }
  return headers;
}

const INPUT_NAMES = { image: 'image', audio: 'audio', file: 'file', image_url: 'imageUrl', file_url: 'fileUrl' } as const;

/**
 * PARLEY_PROVIDER_INPUTS: which attachments the generic provider takes.
 * @throws ConfigError naming the variable for an unknown entry.
 */
function parseInputs(list: string): ProviderInputs {
  const inputs: ProviderInputs = { image: false, audio: false, file: false, imageUrl: false, fileUrl: false };
  const entries = list.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '' && entry !== 'none');
  for (const entry of entries) {
    if (!Object.hasOwn(INPUT_NAMES, entry)) throw new ConfigError('PARLEY_PROVIDER_INPUTS', `${JSON.stringify(entry)} is not one of ${Object.keys(INPUT_NAMES).join(', ')}, none`);
    inputs[INPUT_NAMES[entry as keyof typeof INPUT_NAMES]] = true;
  }
  return inputs;
}

/**
 * The configured providers in priority order: the generic OpenAI-compatible
 * one (PARLEY_PROVIDER_BASE_URL), the presets whose key is set, then the
 * native adapters whose key is set (native-providers.ts).
 * @throws ConfigError for malformed PARLEY_PROVIDER_HEADERS.
 */
export function buildProviders(settings: Settings): RemoteProviderConfig[] {
  const transport = {
    firstByteTimeoutMs: settings.firstByteTimeoutMs,
    idleTimeoutMs: settings.idleTimeoutMs,
    maxRetries: settings.upstreamRetries,
    maxConnections: settings.upstreamMaxConnections,
  };
  // A seed's MODEL_NAME belongs to whichever provider its key enables.
  const model = settings.model !== undefined && !PROVIDER_PREFIX.test(settings.model) ? settings.model : undefined;
  // Parsed even when unused so a typo is reported rather than silently ignored.
  const customHeaders = parseHeaders(settings.providerHeaders);
  const providers: RemoteProviderConfig[] = [];
  if (settings.providerBaseUrl !== undefined) {
    providers.push({
      kind: 'openai-compatible',
      name: settings.providerName,
      baseURL: settings.providerBaseUrl,
      apiKey: settings.providerApiKey,
      headers: customHeaders,
      inputs: parseInputs(settings.providerInputs),
      defaultModel: model ?? 'default',
      ...transport,
    });
  }
  for (const preset of PROVIDER_PRESETS) {
    const apiKey = settings[preset.apiKey];
    if (apiKey === undefined) continue;
    providers.push({
      kind: 'openai-compatible',
      name: preset.name,
      baseURL: settings[preset.baseUrl] ?? PRESETS[preset.name].baseURL,
      apiKey,
      headers: preset.headers(settings),
      defaultModel: model ?? preset.defaultModel,
      ...transport,
    });
  }
  const { firstByteTimeoutMs, idleTimeoutMs, maxConnections } = transport;
  providers.push(...buildNativeProviders(settings, model, { firstByteTimeoutMs, idleTimeoutMs, maxConnections }));
  return providers;
}
