/**
 * The systems `npm run bench` puts side by side, one table row per system and
 * scenario. A Parley variant is a Parley entry with more environment; the
 * scaled-out one (`scaled: true`) also gets a fresh PostgreSQL database and
 * Redis (bench/lib/scaled.ts).
 */
import type { ScenarioId } from './scenarios.js';

/** Which process serves the row. */
export type SystemKind = 'mock' | 'relay' | 'parley';

/** One system under test. */
export interface SystemSpec {
  /** Stable id, used by `--systems` and in the JSON. */
  id: string;
  label: string;
  kind: SystemKind;
  /** For `parley`: environment added to (and overriding) the bench's Parley settings. */
  environment?: Record<string, string>;
  /** For `parley`: on PostgreSQL + Redis (DATABASE_URL and REDIS_URL added by the bench). */
  scaled?: boolean;
  /** What it is asked, in table order. */
  scenarios: ScenarioId[];
}

const OPENAI_ONLY: ScenarioId[] = ['v1-stream', 'v1-json'];
const EVERY_SURFACE: ScenarioId[] = ['v1-stream', 'v1-json', 'stored-turn', 'json-sse'];
/** The streamed requests, stateless and stored: what issue 9's goal (CPU and time to first token) is about. */
const STREAMED: ScenarioId[] = ['v1-stream', 'stored-turn'];

/**
 * The systems of one run: the mock upstream directly, the minimal relay, and
 * Parley embedded (SQLite, in-process run log) and Parley scaled out
 * (PostgreSQL + Redis), both with `parleyEnvironment` (from `--env`) added.
 */
export function systems(parleyEnvironment: Record<string, string> = {}): SystemSpec[] {
  return [
    { id: 'mock', label: 'mock upstream directly', kind: 'mock', scenarios: OPENAI_ONLY },
    { id: 'relay', label: 'minimal relay (bench/relay.ts)', kind: 'relay', scenarios: OPENAI_ONLY },
    { id: 'parley', label: 'Parley (SQLite, in-process run log)', kind: 'parley', environment: parleyEnvironment, scenarios: EVERY_SURFACE },
    { id: 'parley-pg-redis', label: 'Parley scaled out (PostgreSQL + Redis)', kind: 'parley', scaled: true, environment: parleyEnvironment, scenarios: STREAMED },
  ];
}
