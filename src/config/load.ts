/**
 * Builds the {@link Config} from environment variables: each variable is
 * converted and checked against its schema in {@link VARIABLES}, then the
 * providers are assembled. Called once at startup.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Value from 'typebox/value';
import { attributionHeaders, PRESETS, type OpenAICompatibleConfig } from '../providers/openai-compatible/config.js';
import type { ThinkingMode } from '../runs/thinking/index.js';
import { loadGuardConfig, parseTrustProxy } from './guard.js';
import type { Config, LogLevel } from './types.js';
import { VARIABLES, type VariableSpec } from './variables.js';

/** A bad or missing setting; the message names the variable. Stops startup. */
export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Environment = Readonly<Record<string, string | undefined>>;

function read(environment: Environment, spec: VariableSpec): unknown {
  const name = spec.names.find((candidate) => (environment[candidate] ?? '').trim() !== '');
  if (name === undefined) return spec.default;
  let raw: unknown = (environment[name] ?? '').trim();
  if (spec.names[0] === 'LOG_LEVEL') raw = String(raw).toLowerCase();
  const value = Value.Convert(spec.schema, raw);
  if (!Value.Check(spec.schema, value)) {
    const [first] = Value.Errors(spec.schema, value);
    const shown = /KEY/.test(name) ? '(hidden)' : JSON.stringify(raw);
    throw new ConfigError(name, `invalid value ${shown}: ${first?.message ?? 'does not match'} (${spec.description})`);
  }
  return value;
}

type Settings = { -readonly [K in keyof typeof VARIABLES]: unknown };

function readAll(environment: Environment): Settings {
  const settings = {} as Settings;
  for (const key of Object.keys(VARIABLES) as (keyof typeof VARIABLES)[]) {
    settings[key] = read(environment, VARIABLES[key]);
  }
  return settings;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

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

function buildProviders(settings: Settings, model: string | undefined): OpenAICompatibleConfig[] {
  const common = {
    firstByteTimeoutMs: settings.firstByteTimeoutMs as number,
    idleTimeoutMs: settings.idleTimeoutMs as number,
    maxRetries: settings.upstreamRetries as number,
  };
  // A seed's MODEL_NAME belongs to whichever provider its key enables; a prefixed
  // model (`groq:llama…`) is resolved by the registry instead.
  const unprefixed = model !== undefined && !/^[a-z][a-z0-9_-]*:/.test(model) ? model : undefined;
  const providers: OpenAICompatibleConfig[] = [];
  // Parsed even when unused so a typo is reported rather than silently ignored.
  const customHeaders = parseHeaders(optionalString(settings.providerHeaders));
  const appUrl = optionalString(settings.appUrl);
  const appTitle = optionalString(settings.appTitle);
  if (typeof settings.providerBaseUrl === 'string') {
    providers.push({
      name: settings.providerName as string,
      baseURL: settings.providerBaseUrl,
      apiKey: optionalString(settings.providerApiKey),
      headers: customHeaders,
      defaultModel: unprefixed ?? 'default',
      ...common,
    });
  }
  if (typeof settings.openrouterApiKey === 'string') {
    providers.push({
      name: 'openrouter',
      baseURL: optionalString(settings.openrouterBaseUrl) ?? PRESETS.openrouter!.baseURL,
      apiKey: settings.openrouterApiKey,
      headers: attributionHeaders(appUrl, appTitle),
      defaultModel: unprefixed ?? 'openai/gpt-4o-mini',
      ...common,
    });
  }
  if (typeof settings.openaiApiKey === 'string') {
    providers.push({
      name: 'openai',
      baseURL: optionalString(settings.openaiBaseUrl) ?? PRESETS.openai!.baseURL,
      apiKey: settings.openaiApiKey,
      headers: {},
      defaultModel: unprefixed ?? 'gpt-4o-mini',
      ...common,
    });
  }
  return providers;
}

/**
 * Validates the environment and returns the frozen configuration.
 * @param environment usually `process.env` after `.env` was loaded.
 * @throws ConfigError naming the first bad variable.
 */
export function loadConfig(environment: Environment): Readonly<Config> {
  const settings = readAll(environment);
  const model = optionalString(settings.model);
  const providers = buildProviders(settings, model);
  const names = new Set(['mock', ...providers.map((provider) => provider.name)]);
  const defaultProvider = optionalString(settings.defaultProvider) ?? providers[0]?.name ?? 'mock';
  if (!names.has(defaultProvider)) {
    throw new ConfigError('PARLEY_DEFAULT_PROVIDER', `unknown provider "${defaultProvider}"; configured: ${[...names].join(', ')}`);
  }
  const apiKeys = String(settings.apiKeys)
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
  if (typeof settings.internalApiKey === 'string') apiKeys.push(settings.internalApiKey);
  const explicitHost = optionalString(settings.host);
  const config: Config = {
    host: explicitHost ?? (apiKeys.length > 0 ? '0.0.0.0' : '127.0.0.1'),
    hostDefaultedToLoopback: explicitHost === undefined && apiKeys.length === 0,
    port: settings.port as number,
    trustProxy: parseTrustProxy(settings.trustProxy),
    logLevel: settings.debug === true ? 'debug' : (settings.logLevel as LogLevel),
    corsOrigins: String(settings.corsOrigins)
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== ''),
    appTitle: settings.appTitle as string,
    appUrl: optionalString(settings.appUrl),
    systemPrompt: optionalString(settings.systemPrompt),
    model,
    temperature: typeof settings.temperature === 'number' ? settings.temperature : undefined,
    maxTokens: typeof settings.maxTokens === 'number' ? settings.maxTokens : undefined,
    providers,
    defaultProvider,
    mock: { chunkDelayMs: settings.mockChunkDelayMs as number },
    apiKeys: [...new Set(apiKeys)],
    dataDir: settings.dataDir as string,
    limits: {
      bodyLimitBytes: settings.bodyLimitBytes as number,
      maxMessageChars: settings.maxMessageChars as number,
      maxMessages: settings.maxMessages as number,
    },
    historyMessages: settings.historyMessages as number,
    guard: loadGuardConfig(settings),
    thinking: settings.thinking as ThinkingMode,
    runLogTtlSeconds: settings.runLogTtlSeconds as number,
    runLogMaxRuns: settings.runLogMaxRuns as number,
    instanceId: optionalString(settings.instanceId),
    runLeaseSeconds: settings.runLeaseSeconds as number,
    tasks: {
      maxTasks: settings.taskMax as number,
      ttlSeconds: settings.taskTtlSeconds as number,
      thinking: settings.taskThinking as ThinkingMode,
      chunkSize: settings.chunkSize as number,
      heartbeatIntervalSeconds: settings.heartbeatIntervalSeconds as number,
    },
    modelsCacheSeconds: settings.modelsCacheSeconds as number,
    upstreamRetries: settings.upstreamRetries as number,
    logPrompts: settings.logPrompts === true,
    metricsKey: optionalString(settings.metricsKey),
    shutdownGraceMs: settings.shutdownGraceMs as number,
    personas: {
      directory: resolve(optionalString(settings.personasDir) ?? fileURLToPath(new URL('../../personas/', import.meta.url))),
      defaultPersona: settings.defaultPersona as string,
    },
    responseCache: { ttlSeconds: settings.cacheTtlSeconds as number, maxEntries: settings.cacheMaxEntries as number },
    steps: { historyMessages: settings.stepsHistoryMessages as number, thinking: settings.stepsThinking as ThinkingMode },
    version: packageVersion(),
  };
  return deepFreeze(config);
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
