/**
 * The variables of the seed surfaces and of operations (tasks, steps, personas
 * and the response cache, logs and shutdown): the second half of {@link VARIABLES}.
 */
import Type from 'typebox';
import { nonNegativeInt, positiveInt, text, thinkingMode, type VariableSpec } from './variable-spec.js';

/** Surface and operations variables; keys are the config fields they feed. */
export const SURFACE_VARIABLES = {
  // Task polling + WebSocket surface (seed 000); read into Config.tasks.
  taskMax: {
    names: ['PARLEY_TASK_MAX'],
    schema: positiveInt,
    default: 2000,
    description: 'Most tasks (POST /chat/start, WS /ws/chat) remembered; the oldest is forgotten first (seed 000: 2000).',
  },
  taskTtlSeconds: {
    names: ['PARLEY_TASK_TTL_SECONDS'],
    schema: positiveInt,
    default: 3600,
    description: 'How long a task id stays readable after it was started (s); then 404 task_not_found (seed 000: 1 hour).',
  },
  taskThinking: {
    names: ['PARLEY_TASK_THINKING'],
    schema: thinkingMode,
    default: 'structured',
    description: 'Thinking mode of tasks when the request names none; structured = one call parsed into steps and answer (seed 000).',
  },
  chunkSize: {
    names: ['CHUNK_SIZE'],
    schema: positiveInt,
    default: 4,
    description: 'Characters per WebSocket answer_chunk (seed 000).',
  },
  heartbeatIntervalSeconds: {
    names: ['HEARTBEAT_INTERVAL'],
    schema: positiveInt,
    default: 10,
    description: 'Seconds between WebSocket ping messages (seed 000).',
  },
  // Operations: logs, metrics, shutdown; read by src/observability and main.ts.
  logPrompts: {
    names: ['PARLEY_LOG_PROMPTS'],
    schema: Type.Boolean(),
    default: false,
    description: "Log each run's user text at debug level (off: prompts never reach the logs).",
  },
  metricsKey: {
    names: ['PARLEY_METRICS_KEY'],
    schema: text,
    description: 'When set, GET /metrics needs `Authorization: Bearer <this>`; otherwise it is public.',
  },
  shutdownGraceMs: {
    names: ['PARLEY_SHUTDOWN_GRACE_MS'],
    schema: nonNegativeInt,
    default: 10_000,
    description: 'On SIGTERM/SIGINT, how long running answers may finish before they are stopped as `interrupted` (ms).',
  },
  // Personas and the response cache; read into Config.personas / Config.responseCache.
  personasDir: {
    names: ['PARLEY_PERSONAS_DIR'],
    schema: text,
    description: "Directory of persona files (`<name>.json`), loaded at startup. Default: the package's `personas/` folder.",
  },
  defaultPersona: {
    names: ['PARLEY_DEFAULT_PERSONA'],
    schema: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }),
    default: 'assistant',
    description: 'Persona of conversations that chose none; its prompt, model and temperature apply only where SYSTEM_PROMPT, MODEL_NAME, MODEL_TEMPERATURE are unset.',
  },
  cacheTtlSeconds: {
    names: ['PARLEY_CACHE_TTL_SECONDS'],
    schema: positiveInt,
    default: 300,
    description: 'How long a cached answer of the seed-002 surface is served (s).',
  },
  cacheMaxEntries: {
    names: ['PARLEY_CACHE_MAX_ENTRIES'],
    schema: positiveInt,
    default: 1000,
    description: 'Most cached answers held; the least recently used is evicted first.',
  },
  // Steps + persona surface (seed 002); read into Config.steps.
  stepsHistoryMessages: {
    names: ['PARLEY_STEPS_HISTORY_MESSAGES'],
    schema: positiveInt,
    default: 10,
    description: 'Most stored messages /api/chat/send and /api/chat/stream send upstream (seed 002: "Max History: 10 messages").',
  },
  stepsThinking: {
    names: ['PARLEY_STEPS_THINKING'],
    schema: thinkingMode,
    default: 'structured',
    description: 'Thinking mode of /api/chat/send and /api/chat/stream when the request names none; structured = the model writes the analyze / think / output steps (seed 002).',
  },
} as const satisfies Record<string, VariableSpec>;
