/**
 * Every environment variable Parley reads, in one table: its type, default and
 * meaning. The seeds' names (`OPENROUTER_API_KEY`, `MODEL_NAME`, `PORT`, …) are
 * accepted as written so a seed's `.env` works unchanged; where two seeds name the
 * same setting differently (`MODEL_NAME` / `OPENAI_MODEL`) both are listed as
 * aliases, first one set wins.
 */
import Type from 'typebox';
import { SURFACE_VARIABLES } from './surface-variables.js';
import { nonNegativeInt, port, positiveInt, text, thinkingMode, url, type VariableSpec } from './variable-spec.js';

export type { VariableSpec } from './variable-spec.js';

/** The variable table; keys are the config fields they feed. */
export const VARIABLES = {
  port: { names: ['PORT'], schema: port, default: 8000, description: 'HTTP port.' },
  listenBacklog: {
    names: ['PARLEY_LISTEN_BACKLOG'],
    schema: positiveInt,
    default: 4096,
    description: 'Pending connections the listening socket queues (the kernel caps it at net.core.somaxconn); bursts of new streams beyond it are reset.',
  },
  host: {
    names: ['PARLEY_HOST', 'HOST'],
    schema: text,
    description:
      'Listen address. Default 0.0.0.0 when any client key exists at startup (API_KEYS, or a key made with `parley keys create`), else 127.0.0.1; a key made later opens the address only after a restart.',
  },
  trustProxy: {
    names: ['PARLEY_TRUST_PROXY'],
    schema: Type.Union([Type.Boolean(), nonNegativeInt, text]),
    default: false,
    description: 'Which X-Forwarded-For hops to trust: false, true, a hop count, or comma-separated addresses/CIDRs.',
  },
  logLevel: {
    names: ['LOG_LEVEL'],
    schema: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']),
    default: 'info',
    lowercase: true,
    description: 'Log level (case-insensitive).',
  },
  debug: { names: ['DEBUG'], schema: Type.Boolean(), default: false, description: 'Debug logging (implies LOG_LEVEL=debug).' },
  corsOrigins: {
    names: ['CORS_ORIGINS'],
    schema: text,
    description:
      'Browser origins allowed to call Parley and open WS /ws/chat: comma-separated origins (`https://app.example`), `*` for any, `none` for none. Unset: http://localhost and http://127.0.0.1 on any port.',
  },
  appTitle: { names: ['APP_TITLE'], schema: text, default: 'Parley', description: 'Service name; sent to OpenRouter as X-Title.' },
  appUrl: { names: ['APP_URL'], schema: url, description: 'Public URL; sent to OpenRouter as HTTP-Referer.' },
  systemPrompt: { names: ['SYSTEM_PROMPT'], schema: Type.String(), description: 'System prompt prepended to every conversation.' },
  model: {
    names: ['MODEL_NAME', 'OPENAI_MODEL', 'PARLEY_MODEL'],
    schema: text,
    description: 'Default model id, as the provider names it; `name:` prefix picks a provider.',
  },
  modelAliases: {
    names: ['PARLEY_MODEL_ALIASES'],
    schema: text,
    description:
      'JSON object of model names clients send to targets: `"provider:model"`, a plain model id, or an array of them (the first is used), e.g. {"openassistant-medium": "openrouter:openai/gpt-4o-mini"}.',
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
  anthropicApiKey: { names: ['ANTHROPIC_API_KEY'], schema: text, description: 'Enables the native `anthropic` provider (Messages API).' },
  anthropicBaseUrl: {
    names: ['ANTHROPIC_BASE_URL'],
    schema: url,
    description: 'Anthropic API root, as the official SDKs take it (default https://api.anthropic.com; a trailing /v1 is accepted).',
  },
  anthropicMaxTokens: {
    names: ['PARLEY_ANTHROPIC_MAX_TOKENS'],
    schema: positiveInt,
    default: 4096,
    description: 'max_tokens sent to Anthropic when neither the request nor MODEL_MAX_TOKENS sets one (the Messages API requires it).',
  },
  anthropicThinkingBudget: {
    names: ['PARLEY_ANTHROPIC_THINKING_BUDGET'],
    schema: Type.Union([Type.Literal(0), Type.Integer({ minimum: 1024 })]),
    default: 0,
    description: "Extended thinking budget (tokens, at least 1024) when a request names no reasoning effort; 0 = thinking off.",
  },
  geminiApiKey: {
    names: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
    schema: text,
    description: 'Enables the native `google` provider (Gemini API).',
  },
  geminiBaseUrl: {
    names: ['GEMINI_BASE_URL'],
    schema: url,
    description: 'Gemini API root with its version (default https://generativelanguage.googleapis.com/v1beta).',
  },
  geminiThinkingBudget: {
    names: ['PARLEY_GEMINI_THINKING_BUDGET'],
    schema: Type.Integer({ minimum: -1 }),
    description: "Gemini thinkingBudget (tokens) when a request names no reasoning effort: -1 = the model decides, 0 = off. Default: the model's own.",
  },
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
  upstreamMaxConnections: {
    names: ['PARLEY_UPSTREAM_MAX_CONNECTIONS'],
    schema: nonNegativeInt,
    default: 4096,
    description:
      'Most open connections to one provider; calls beyond it wait for a free one (their first-byte timer starts when sent). 0: no limit.',
  },
  upstreamRetries: {
    names: ['PARLEY_UPSTREAM_RETRIES'],
    schema: Type.Integer({ minimum: 0, maximum: 5 }),
    default: 2,
    description: 'Retries of a failed upstream call, only before its first byte.',
  },
  fallbackCooldownSeconds: {
    names: ['PARLEY_FALLBACK_COOLDOWN_SECONDS'],
    schema: nonNegativeInt,
    default: 30,
    description: 'How long a fallback target (an alias with a list) that failed before its first byte is skipped (s); 0: never skipped.',
  },
  mockChunkDelayMs: {
    names: ['PARLEY_MOCK_CHUNK_DELAY_MS'],
    schema: nonNegativeInt,
    default: 20,
    description: 'Pause between chunks of the built-in mock provider (ms).',
  },
  thinking: {
    names: ['PARLEY_THINKING'],
    schema: thinkingMode,
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
  // Guard rails; read into Config.guard by config/guard.ts.
  keyCacheSeconds: {
    names: ['PARLEY_KEY_CACHE_SECONDS'],
    schema: nonNegativeInt,
    default: 5,
    description: 'How long the list of keys made by `parley keys` is cached (s): a new or revoked key takes effect within this delay.',
  },
  rateLimitIpPerMinute: {
    names: ['PARLEY_RATE_LIMIT_IP_PER_MINUTE'],
    schema: nonNegativeInt,
    default: 10,
    description: 'Chat-starting requests per minute from one client address (per key); 0 turns the limit off.',
  },
  rateLimitKeyPerMinute: {
    names: ['PARLEY_RATE_LIMIT_KEY_PER_MINUTE'],
    schema: nonNegativeInt,
    default: 60,
    description: "Chat-starting requests per minute per client key, unless the key has its own limit; 0 turns the limit off.",
  },
  trustedHosts: {
    names: ['PARLEY_TRUSTED_HOSTS'],
    schema: Type.String(),
    default: '',
    description: 'Comma-separated Host names (`*.example.com` for subdomains, `host:port` for one port) served; others get 400. Empty: any.',
  },
  blocklist: {
    names: ['PARLEY_BLOCKLIST'],
    schema: Type.String(),
    default: '',
    description: 'Comma-separated words or phrases rejected in user messages (case-insensitive, whole words).',
  },
  blocklistFile: { names: ['PARLEY_BLOCKLIST_FILE'], schema: text, description: 'File of blocked words or phrases, one a line (`#` comments).' },
  moderationUrl: {
    names: ['PARLEY_MODERATION_URL'],
    schema: url,
    description: 'OpenAI-compatible moderation endpoint (e.g. https://api.openai.com/v1/moderations); flagged messages are rejected.',
  },
  moderationApiKey: { names: ['PARLEY_MODERATION_API_KEY'], schema: text, description: 'Bearer key for PARLEY_MODERATION_URL.' },
  moderationModel: { names: ['PARLEY_MODERATION_MODEL'], schema: text, description: 'Model sent to PARLEY_MODERATION_URL (default: the endpoint\'s own).' },
  moderationFailMode: {
    names: ['PARLEY_MODERATION_FAIL_MODE'],
    schema: Type.Enum(['open', 'closed']),
    default: 'open',
    description: 'When moderation is unreachable: `open` lets messages through (with a warning log), `closed` rejects them (503).',
  },
  moderationTimeoutMs: {
    names: ['PARLEY_MODERATION_TIMEOUT_MS'],
    schema: positiveInt,
    default: 5000,
    description: 'How long to wait for the moderation endpoint (ms) before it counts as unreachable.',
  },
  dataDir: { names: ['PARLEY_DATA_DIR'], schema: text, default: './data', description: 'Directory of the SQLite file.' },
  databaseUrl: {
    names: ['DATABASE_URL'],
    schema: Type.String({ pattern: '^postgres(ql)?://[^\\s]+$' }),
    description: 'PostgreSQL URL (postgres://user:password@host:5432/db): the store on PostgreSQL instead of the SQLite file, shared by every instance (see Scale out).',
  },
  redisUrl: {
    names: ['REDIS_URL'],
    schema: Type.String({ pattern: '^rediss?://[^\\s]+$' }),
    description: 'Redis URL (redis://host:6379/0): run logs, run directory, rate limits and caches shared by every instance (see Scale out).',
  },
  bodyLimitBytes: {
    names: ['PARLEY_MAX_BODY_BYTES'],
    schema: positiveInt,
    default: 1_048_576,
    description: 'Largest accepted request body (bytes).',
  },
  maxAttachmentBytes: {
    names: ['PARLEY_MAX_ATTACHMENT_BYTES'],
    schema: positiveInt,
    default: 5_242_880,
    description: 'Largest image, audio clip or file in a message (decoded bytes).',
  },
  maxMessageAttachmentBytes: {
    names: ['PARLEY_MAX_MESSAGE_ATTACHMENT_BYTES'],
    schema: positiveInt,
    default: 10_485_760,
    description: 'Most attachment bytes (decoded) in one message; routes taking attachments accept bodies this much larger (as base64).',
  },
  attachmentTypes: {
    names: ['PARLEY_ATTACHMENT_TYPES'],
    schema: text,
    default: 'image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,audio/wav,audio/mpeg',
    description: 'Media types accepted as attachments, comma-separated; `image/*` accepts every image type.',
  },
  providerInputs: {
    names: ['PARLEY_PROVIDER_INPUTS'],
    schema: text,
    default: 'image,audio,file,image_url',
    description: 'Attachments the generic provider (PARLEY_PROVIDER_BASE_URL) takes: image, audio, file, image_url, file_url, comma-separated, or none.',
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
  runLogMaxRuns: {
    names: ['PARLEY_RUN_LOG_MAX_RUNS'],
    schema: positiveInt,
    default: 10_000,
    description: 'Most finished runs kept resumable in memory; the oldest go first.',
  },
  runLogMaxBytes: {
    names: ['PARLEY_RUN_LOG_MAX_BYTES'],
    schema: positiveInt,
    default: 268_435_456,
    description: 'Most bytes (estimated) the in-memory run log holds across runs; finished runs are dropped first, and a running answer that does not fit fails with run_log_full.',
  },
  runLogTtlSeconds: {
    names: ['PARLEY_RUN_LOG_TTL_SECONDS'],
    schema: positiveInt,
    default: 3600,
    description: 'How long a finished run stays readable for resume (s).',
  },
  instanceId: {
    names: ['PARLEY_INSTANCE_ID'],
    schema: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$' }),
    description: 'This instance in run leases; default: generated once and kept in PARLEY_DATA_DIR/instance-id.',
  },
  runLeaseSeconds: {
    names: ['PARLEY_RUN_LEASE_SECONDS'],
    schema: Type.Integer({ minimum: 1, maximum: 3600 }),
    default: 15,
    description: 'How long a running answer counts as alive without a heartbeat of its instance (s); then another instance stores it as interrupted.',
  },
  modelsCacheSeconds: {
    names: ['PARLEY_MODELS_CACHE_SECONDS'],
    schema: nonNegativeInt,
    default: 3600,
    description: 'How long GET /models caches the upstream list (s).',
  },
  ...SURFACE_VARIABLES,
} as const satisfies Record<string, VariableSpec>;
