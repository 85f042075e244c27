/**
 * What `npm run bench` asks each system: one kind of chat request per
 * scenario, what marks its first answer token, and what marks a complete
 * answer. The mock upstream's scripted answer starts with `Mock reply to "…"`
 * on every surface, so the time to that text is the time to first token.
 */

/** Scenario ids, in table order. */
export type ScenarioId = 'v1-stream' | 'v1-json' | 'stored-turn' | 'json-sse';

/** A request to send; `client` names the simulated client (one per concurrent worker). */
export interface BenchRequest {
  path: string;
  body: string;
}

/** One row kind of the benchmark. */
export interface Scenario {
  id: ScenarioId;
  /** Shown in the table next to the system's name. */
  label: string;
  /**
   * Which relay figure the ratios use: a streamed answer is compared with the
   * relay's streaming row, a JSON answer with its JSON row.
   */
  baseline: 'v1-stream' | 'v1-json';
  /** The request client `client` sends; the same client always talks about the same session. */
  request(client: string): BenchRequest;
  /** Text every complete answer contains in its last 256 bytes. */
  end: string;
}

/** Text of the first answer token of every scripted mock answer. */
export const FIRST_TOKEN = 'Mock reply';
const PROMPT = 'benchmark';
const CHAT_COMPLETIONS = '/v1/chat/completions';

function chatCompletion(stream: boolean): string {
  return JSON.stringify({ model: 'mock-model', stream, messages: [{ role: 'user', content: PROMPT }] });
}

/** Every scenario, by id. */
export const SCENARIOS: Readonly<Record<ScenarioId, Scenario>> = {
  'v1-stream': {
    id: 'v1-stream',
    label: '/v1/chat/completions stream',
    baseline: 'v1-stream',
    request: () => ({ path: CHAT_COMPLETIONS, body: chatCompletion(true) }),
    end: 'data: [DONE]',
  },
  'v1-json': {
    id: 'v1-json',
    label: '/v1/chat/completions JSON',
    baseline: 'v1-json',
    request: () => ({ path: CHAT_COMPLETIONS, body: chatCompletion(false) }),
    end: '"finish_reason":"stop"',
  },
  'stored-turn': {
    id: 'stored-turn',
    // Seed 003: the turn and its answer are stored in the client's session.
    label: 'POST /chat stored turn (seed 003)',
    baseline: 'v1-stream',
    request: (client) => ({ path: '/chat', body: JSON.stringify({ message: PROMPT, session_id: `bench-${client}` }) }),
    end: 'event: done',
  },
  'json-sse': {
    id: 'json-sse',
    // Seed 004: a stored turn too, streamed as JSON objects in SSE.
    label: 'POST /api/chat JSON SSE (seed 004)',
    baseline: 'v1-stream',
    request: (client) => ({ path: '/api/chat', body: JSON.stringify({ user_id: `bench-${client}`, message: PROMPT }) }),
    end: 'data: [DONE]',
  },
};
