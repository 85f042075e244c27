/**
 * Builds the {@link Config} from environment variables: each variable is read
 * and checked against its schema in {@link VARIABLES} (settings.ts), then the
 * builders turn the typed settings into each component's options: providers
 * (providers.ts), model aliases (aliases.ts), guard rails (guard.ts), CORS.
 * Called once at startup.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CorsOptions } from '../http/plugins/cors.js';
import { PRESETS } from '../providers/openai-compatible/config.js';
import { buildModelAliases } from './aliases.js';
import { ConfigError } from './errors.js';
import { buildGuardConfig, commaList } from './guard.js';
import { buildProviders } from './providers.js';
import { readSettings, type Environment } from './settings.js';
import type { Config } from './types.js';

export { ConfigError } from './errors.js';
export type { Environment } from './settings.js';

/**
 * PARLEY_TRUST_PROXY as Fastify's `trustProxy` takes it: `true`/`false`, a
 * hop count, or comma-separated addresses/CIDRs. The variable's schema is a
 * union, which may leave the value a string; this gives it its type.
 */
export function parseTrustProxy(value: boolean | number | string): boolean | number | string {
  if (typeof value === 'boolean' || typeof value === 'number') return value;
  const text = value.trim();
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  if (/^\d+$/.test(text)) return Number(text);
  return text;
}

/**
 * CORS_ORIGINS: unset allows loopback pages, `*` any, `none` none, else the
 * listed origins (`scheme://host[:port]`; a trailing slash is dropped).
 * @throws ConfigError for an entry that is not an origin.
 */
export function parseCorsOrigins(value: string | undefined): CorsOptions {
  if (value === undefined) return { allowedOrigins: 'loopback' };
  const entries = commaList(value);
  if (entries.includes('*')) return { allowedOrigins: 'any' };
  if (entries.length === 1 && entries[0]!.toLowerCase() === 'none') return { allowedOrigins: 'none' };
  const origins = entries.map((entry) => {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    if (url === undefined || url.origin === 'null' || `${url.origin}/` !== url.href.replace(/\/?$/, '/')) {
      throw new ConfigError('CORS_ORIGINS', `${JSON.stringify(entry)} is not an origin such as https://app.example or http://localhost:5173 (use * for any, none for none)`);
    }
    return url.origin;
  });
  return { allowedOrigins: [...new Set(origins)] };
}

/**
 * Validates the environment and returns the frozen configuration.
 * @param environment usually `process.env` after `.env` was loaded.
 * @throws ConfigError naming the first bad variable.
 */
export function loadConfig(environment: Environment): Readonly<Config> {
  const settings = readSettings(environment);
  const providers = buildProviders(settings);
  const names = ['mock', ...providers.map((provider) => provider.name)];
  const defaultProvider = settings.defaultProvider ?? providers[0]?.name ?? 'mock';
  if (!names.includes(defaultProvider)) {
    throw new ConfigError('PARLEY_DEFAULT_PROVIDER', `unknown provider "${defaultProvider}"; configured: ${names.join(', ')}`);
  }
  const modelAliases = buildModelAliases(settings.modelAliases, { configured: names, known: [...new Set([...names, ...Object.keys(PRESETS)])] });
  const apiKeys = commaList(settings.apiKeys);
  if (settings.internalApiKey !== undefined) apiKeys.push(settings.internalApiKey);
  const config: Config = {
    // Decided at startup when unset: keys may also live in the database (defaultListenHost).
    host: settings.host,
    port: settings.port,
    listenBacklog: settings.listenBacklog,
    trustProxy: parseTrustProxy(settings.trustProxy),
    logLevel: settings.debug ? 'debug' : settings.logLevel,
    cors: parseCorsOrigins(settings.corsOrigins),
    appTitle: settings.appTitle,
    appUrl: settings.appUrl,
    systemPrompt: settings.systemPrompt,
    model: settings.model,
    temperature: settings.temperature,
    maxTokens: settings.maxTokens,
    providers,
    defaultProvider,
    mock: { chunkDelayMs: settings.mockChunkDelayMs },
    modelAliases,
    apiKeys: [...new Set(apiKeys)],
    dataDir: settings.dataDir,
    databaseUrl: settings.databaseUrl,
    redisUrl: settings.redisUrl,
    limits: {
      bodyLimitBytes: settings.bodyLimitBytes,
      attachments: {
        maxFileBytes: settings.maxAttachmentBytes,
        maxMessageBytes: settings.maxMessageAttachmentBytes,
        mediaTypes: settings.attachmentTypes.split(',').map((type) => type.trim().toLowerCase()).filter((type) => type !== ''),
      },
      maxMessageChars: settings.maxMessageChars,
      maxMessages: settings.maxMessages,
    },
    historyMessages: settings.historyMessages,
    guard: buildGuardConfig(settings),
    thinking: settings.thinking,
    runLogTtlSeconds: settings.runLogTtlSeconds,
    runLogMaxRuns: settings.runLogMaxRuns,
    runLogMaxBytes: settings.runLogMaxBytes,
    instanceId: settings.instanceId,
    runLeaseSeconds: settings.runLeaseSeconds,
    tasks: {
      maxTasks: settings.taskMax,
      ttlSeconds: settings.taskTtlSeconds,
      thinking: settings.taskThinking,
      chunkSize: settings.chunkSize,
      heartbeatIntervalSeconds: settings.heartbeatIntervalSeconds,
    },
    modelsCacheSeconds: settings.modelsCacheSeconds,
    upstreamRetries: settings.upstreamRetries,
    fallbackCooldownSeconds: settings.fallbackCooldownSeconds,
    logPrompts: settings.logPrompts,
    metricsKey: settings.metricsKey,
    shutdownGraceMs: settings.shutdownGraceMs,
    personas: {
      directory: resolve(settings.personasDir ?? fileURLToPath(new URL('../../personas/', import.meta.url))),
      defaultPersona: settings.defaultPersona,
    },
    responseCache: { ttlSeconds: settings.cacheTtlSeconds, maxEntries: settings.cacheMaxEntries },
    steps: { historyMessages: settings.stepsHistoryMessages, thinking: settings.stepsThinking },
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
