import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';
import { collectSse } from './helpers/sse.js';

const KEY_A = 'usage-key-a';
const KEY_B = 'usage-key-b';

/** Token counts as /v1 and the messages list report them. */
interface Counted {
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
}

function sum(items: Counted[]): Counted & { runs: number; total_tokens: number } {
  const prompt = items.reduce((total, item) => total + item.prompt_tokens, 0);
  const completion = items.reduce((total, item) => total + item.completion_tokens, 0);
  return {
    runs: items.length,
    prompt_tokens: prompt,
    completion_tokens: completion,
    reasoning_tokens: items.reduce((total, item) => total + (item.reasoning_tokens ?? 0), 0),
    total_tokens: prompt + completion,
  };
}

/** One entry of `totals`, `by_model` or `by_day`. */
type UsageEntry = Record<string, unknown>;

/** The body of GET /usage. */
interface UsageBody {
  from: string | null;
  to: string | null;
  totals: UsageEntry;
  by_model: UsageEntry[];
  by_day: UsageEntry[];
}

function pick(entry: UsageEntry) {
  const { runs, prompt_tokens, completion_tokens, reasoning_tokens, total_tokens } = entry;
  return { runs, prompt_tokens, completion_tokens, reasoning_tokens, total_tokens };
}

describe('GET /usage', () => {
  let server: RunningParley;
  const today = new Date().toISOString().slice(0, 10);
  const usageOf: Record<string, { model: string; usage: Counted }[]> = { [KEY_A]: [], [KEY_B]: [] };

  const chat = async (key: string, model: string, content: string) => {
    const response = await requestJson(`${server.url}/v1/chat/completions`, {
      headers: { 'x-api-key': key },
      body: { model, messages: [{ role: 'user', content }] },
    });
    assert.equal(response.status, 200);
    const details = response.body.usage.completion_tokens_details;
    usageOf[key]!.push({ model, usage: { ...response.body.usage, reasoning_tokens: details?.reasoning_tokens ?? 0 } });
  };

  before(async () => {
    server = await startParley({
      API_KEYS: `${KEY_A},${KEY_B}`,
      PARLEY_RATE_LIMIT_IP_PER_MINUTE: '0',
      PARLEY_RATE_LIMIT_KEY_PER_MINUTE: '0',
    });
    await chat(KEY_A, 'mock-model', 'first question here');
    await chat(KEY_A, 'mock-model', 'a second, longer question for the mock');
    await chat(KEY_B, 'mock-model', 'only one for b');

    // A conversation stream with reasoning: its usage is read back from the stored message.
    const headers = { 'x-api-key': KEY_A };
    const conversation = (await requestJson(`${server.url}/conversations`, { headers, body: { default_model: 'mock-reasoner' } })).body;
    await requestJson(`${server.url}/conversations/${conversation.id}/messages`, { headers, body: { message: 'think about it' } });
    await collectSse(await fetch(`${server.url}/conversations/${conversation.id}/stream`, { headers }));
    const listed = (await requestJson(`${server.url}/conversations/${conversation.id}/messages`, { headers })).body as { messages: { usage: Counted }[] };
    usageOf[KEY_A]!.push({ model: 'mock-reasoner', usage: listed.messages.at(-1)!.usage });
  });
  after(() => server.stop());

  const usage = async (key: string, query = '') => {
    const response = await requestJson(`${server.url}/usage${query}`, { headers: { 'x-api-key': key } });
    return { status: response.status, body: response.body as UsageBody & { error: { code: string } } };
  };

  test("totals, by model and by day match the provider's usage, for the calling key only", async () => {
    const response = await usage(KEY_A);
    assert.equal(response.status, 200);
    const runs = usageOf[KEY_A]!;
    // The mock's deterministic usage: prompt = words + 4 per message, completion = 24 chunks (+12 reasoning).
    assert.deepEqual(
      { prompt: runs[0]!.usage.prompt_tokens, completion: runs[0]!.usage.completion_tokens },
      { prompt: 7, completion: 24 },
    );
    assert.equal(runs.at(-1)!.usage.reasoning_tokens, 12, 'mock-reasoner reports its reasoning tokens');
    assert.equal(runs.at(-1)!.usage.completion_tokens, 36);
    const expected = sum(runs.map((run) => run.usage));
    assert.deepEqual(pick(response.body.totals), expected);
    assert.equal(response.body.totals.cached_tokens, 0);
    assert.deepEqual(
      response.body.by_model.map((entry) => ({ provider: entry.provider, model: entry.model, ...pick(entry) })),
      ['mock-model', 'mock-reasoner'].map((model) => ({
        provider: 'mock',
        model,
        ...sum(runs.filter((run) => run.model === model).map((run) => run.usage)),
      })),
    );
    assert.deepEqual(
      response.body.by_day.map((entry) => ({ date: entry.date, ...pick(entry) })),
      [{ date: today, ...expected }],
    );
    assert.equal(response.body.from, null);
    assert.equal(response.body.to, null);

    const other = await usage(KEY_B);
    assert.deepEqual(pick(other.body.totals), sum(usageOf[KEY_B]!.map((run) => run.usage)));
    assert.deepEqual(other.body.by_model.map((entry) => entry.model), ['mock-model']);
  });

  test('?from=&to= bound the days, inclusively', async () => {
    const inRange = await usage(KEY_A, `?from=${today}&to=${today}`);
    assert.equal(inRange.status, 200);
    assert.equal(inRange.body.totals.runs, usageOf[KEY_A]!.length);
    assert.equal(inRange.body.from, today);

    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const later = await usage(KEY_A, `?from=${tomorrow}`);
    assert.equal(later.status, 200);
    assert.deepEqual(pick(later.body.totals), { runs: 0, prompt_tokens: 0, completion_tokens: 0, reasoning_tokens: 0, total_tokens: 0 });
    assert.deepEqual(later.body.by_model, []);
    assert.deepEqual(later.body.by_day, []);

    const earlier = await usage(KEY_A, '?to=2000-01-01');
    assert.equal(earlier.body.totals.runs, 0);
  });

  test('rejects malformed or reversed dates with 400 validation_failed', async () => {
    for (const query of ['?from=2024-13-01', '?to=yesterday', '?from=2024-02-30', '?from=2024-05-02&to=2024-05-01']) {
      const response = await usage(KEY_A, query);
      assert.equal(response.status, 400, query);
      assert.equal(response.body.error.code, 'validation_failed', query);
    }
  });

  test('needs a client key like every other data route', async () => {
    assert.equal((await requestJson(`${server.url}/usage`)).status, 401);
  });
});
