/**
 * Every environment variable Parley reads, in one table: its type, default and
 * meaning. The seeds' names (`OPENROUTER_API_KEY`, `MODEL_NAME`, `PORT`, …) are
 * accepted as written so a seed's `.env` works unchanged; where two seeds name the
 * same setting differently (`MODEL_NAME` / `OPENAI_MODEL`) both are listed as
 * aliases, first one set wins.
 */
import Type, { type TSchema } from 'typebox';

/** One variable (or group of aliases) and the schema its value must satisfy. */
export interface VariableSpec {
  /** Names in priority order. */
  names: readonly string[];
  schema: TSchema;
  /** Used when none of the names is set; undefined means "not set". */
  default?: unknown;
  description: string;
}

const port = Type.Integer({ minimum: 0, maximum: 65535 });
const positiveInt = Type.Integer({ minimum: 1 });
const nonNegativeInt = Type.Integer({ minimum: 0 });
const text = Type.String({ minLength: 1 });
const url = Type.String({ pattern: '^https?://[^\\s]+$' });

/** The variable table; keys are the config fields they feed. */
export const VARIABLES = {
  port: { names: ['PORT'], schema: port, default: 8000, description: 'HTTP port.' },
  host: {
    names: ['PARLEY_HOST', 'HOST'],
    schema: text,
    description: 'Listen address. Default 0.0.0.0 when client keys are configured, else 127.0.0.1.',
  },
  trustProxy: {
    names: ['PARLEY_TRUST_PROXY'],
    schema: Type.Union([Type.Boolean(), nonNegativeInt, text]),
    default: false,
    description: 'Which X-Forwarded-For hops to trust: false, true, a hop count, or comma-separated addresses/CIDRs.',
  },
  logLevel: {
    names: ['LOG_LEVEL'],
    schema: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((level) => Type.Literal(level))),
    default: 'info',
    description: 'Log level (case-insensitive).',
  },
  debug: { names: ['DEBUG'], schema: Type.Boolean(), default: false, description: 'Debug logging (implies LOG_LEVEL=debug).' },
  corsOrigins: {
    names: ['CORS_ORIGINS'],
    schema: Type.String(),
    default: '',
    description: 'Comma-separated allowed browser origins; `*` allows any. Empty: no CORS headers.',
  },
  appTitle: { names: ['APP_TITLE'], schema: text, default: 'Parley', description: 'Service name; sent to OpenRouter as X-Title.' },
  appUrl: { names: ['APP_URL'], schema: url, description: 'Public URL; sent to OpenRouter as HTTP-Referer.' },
  systemPrompt: { names: ['SYSTEM_PROMPT'], schema: Type.String(), description: 'System prompt prepended to every conversation.' },
  model: {
    names: ['MODEL_NAME', 'OPENAI_MODEL', 'PARLEY_MODEL'],
    schema: text,
    description: 'Default model id, as the provider names it; `name:` prefix picks a provider.',
  },
  temperature: {
    names: ['MODEL_TEMPERATURE', 'OPENAI_TEMPERATURE'],
    schema: Type.Number({ minimum: 0, maximum: 2 }),
    description: 'Default sampling temperature.',
  },
  maxTokens: {
    names: ['MODEL_MAX_TOKENS', 'OPENAI_MAX_TOKENS'],
    schema: positiveInt,
    description: 'Default completion token limit.',
  },
  openrouterApiKey: { names: ['OPENROUTER_API_KEY'], schema: text, description: 'Enables the `openrouter` provider.' },
  openrouterBaseUrl: { names: ['OPENROUTER_BASE_URL'], schema: url, description: 'OpenRouter base URL.' },
  openaiApiKey: { names: ['OPENAI_API_KEY'], schema: text, description: 'Enables the `openai` provider.' },
  openaiBaseUrl: { names: ['OPENAI_BASE_URL'], schema: url, description: 'OpenAI base URL.' },
  providerBaseUrl: {
    names: ['PARLEY_PROVIDER_BASE_URL'],
    schema: url,
    description: 'Any OpenAI-compatible base URL (DeepSeek, Groq, vLLM, Ollama /v1, llama.cpp …).',
  },
  providerApiKey: { names: ['PARLEY_PROVIDER_API_KEY'], schema: text, description: 'Key for PARLEY_PROVIDER_BASE_URL.' },
  providerName: {
    names: ['PARLEY_PROVIDER_NAME'],
    schema: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' }),
    default: 'custom',
    description: 'Name (model prefix) of the PARLEY_PROVIDER_BASE_URL provider.',
  },
  providerHeaders: {
    names: ['PARLEY_PROVIDER_HEADERS'],
    schema: Type.String(),
    description: 'JSON object of extra headers for PARLEY_PROVIDER_BASE_URL.',
  },
  defaultProvider: {
    names: ['PARLEY_DEFAULT_PROVIDER'],
    schema: text,
    description: 'Provider used for models without a prefix. Default: the first configured, else `mock`.',
  },
  firstByteTimeoutMs: {
    names: ['PARLEY_FIRST_BYTE_TIMEOUT_MS'],
    schema: positiveInt,
    default: 60_000,
    description: 'Fail with upstream_timeout when the provider sends nothing for this long (ms).',
  },
  idleTimeoutMs: {
    names: ['PARLEY_UPSTREAM_IDLE_TIMEOUT_MS'],
    schema: positiveInt,
    default: 120_000,
    description: 'Fail with upstream_timeout when a started stream sends nothing for this long (ms).',
  },
  upstreamRetries: {
    names: ['PARLEY_UPSTREAM_RETRIES'],
    schema: Type.Integer({ minimum: 0, maximum: 5 }),
    default: 2,
    description: 'Retries of a failed upstream call, only before its first byte.',
  },
  mockChunkDelayMs: {
    names: ['PARLEY_MOCK_CHUNK_DELAY_MS'],
    schema: nonNegativeInt,
    default: 20,
    description: 'Pause between chunks of the built-in mock provider (ms).',
  },
  thinking: {
    names: ['PARLEY_THINKING'],
    schema: Type.Union(['auto', 'native', 'structured', 'off'].map((mode) => Type.Literal(mode))),
    default: 'auto',
    description: 'Thinking steps: auto/native (cut model reasoning into steps), structured (one call with labelled sections), off.',
  },
  apiKeys: {
    names: ['API_KEYS'],
    schema: Type.String(),
    default: '',
    description: 'Comma-separated client keys.',
  },
  internalApiKey: { names: ['INTERNAL_API_KEY'], schema: text, description: 'One more client key.' },
  dataDir: { names: ['PARLEY_DATA_DIR'], schema: text, default: './data', description: 'Directory of the SQLite file.' },
  bodyLimitBytes: {
    names: ['PARLEY_MAX_BODY_BYTES'],
    schema: positiveInt,
    default: 1_048_576,
    description: 'Largest accepted request body (bytes).',
  },
  maxMessageChars: {
    names: ['PARLEY_MAX_MESSAGE_CHARS'],
    schema: positiveInt,
    default: 32_000,
    description: 'Longest accepted message (characters).',
  },
  maxMessages: {
    names: ['PARLEY_MAX_MESSAGES'],
    schema: positiveInt,
    default: 256,
    description: 'Most messages accepted in one request.',
  },
  historyMessages: {
    names: ['PARLEY_HISTORY_MESSAGES'],
    schema: positiveInt,
    default: 50,
    description: 'Most stored messages sent upstream as context.',
  },
  runLogTtlSeconds: {
    names: ['PARLEY_RUN_LOG_TTL_SECONDS'],
    schema: positiveInt,
    default: 3600,
    description: 'How long a finished run stays readable for resume (s).',
  },
  modelsCacheSeconds: {
    names: ['PARLEY_MODELS_CACHE_SECONDS'],
    schema: nonNegativeInt,
    default: 3600,
    description: 'How long GET /models caches the upstream list (s).',
  },
} as const satisfies Record<string, VariableSpec>;
