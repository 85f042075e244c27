/**
 * The provider seam: configuration as a union by kind, the factory table, the
 * registry of built providers, and Retry-After as a number of seconds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/load.js';
import { ParleyError } from '../src/errors.js';
import type { ProviderConfig } from '../src/providers/config.js';
import { createProvider, PROVIDER_FACTORIES } from '../src/providers/factory.js';
import { ProviderRegistry } from '../src/providers/registry.js';
import { parseRetryAfter, retryAfterFromHeaders } from '../src/providers/provider-utils/retry-after.js';
import type { Provider } from '../src/providers/types.js';

const transport = { firstByteTimeoutMs: 1000, idleTimeoutMs: 1000 };

const ONE_OF_EACH: ProviderConfig[] = [
  { kind: 'openai-compatible', name: 'groq', baseURL: 'http://127.0.0.1:1/v1', headers: {}, defaultModel: 'llama', maxRetries: 0, ...transport },
  { kind: 'mock', name: 'mock', chunkDelayMs: 0 },
  { kind: 'anthropic', name: 'anthropic', baseURL: 'http://127.0.0.1:1', apiKey: 'k', headers: {}, defaultModel: 'claude', maxTokens: 10, thinkingBudgetTokens: 0, ...transport },
  { kind: 'google', name: 'google', baseURL: 'http://127.0.0.1:1/v1beta', apiKey: 'k', headers: {}, defaultModel: 'gemini', thinkingBudgetTokens: undefined, ...transport },
];

async function closeAll(providers: Provider[]): Promise<void> {
  await Promise.all(providers.map((provider) => provider.close()));
}

describe('factory table and registry', () => {
  test('every kind has a factory, and each builds a provider named as configured', async () => {
    assert.deepEqual(Object.keys(PROVIDER_FACTORIES).sort(), ['anthropic', 'google', 'mock', 'openai-compatible']);
    const providers = ONE_OF_EACH.map(createProvider);
    try {
      assert.deepEqual(
        providers.map((provider) => [provider.name, provider.defaultModel]),
        [
          ['groq', 'llama'],
          ['mock', 'mock-model'],
          ['anthropic', 'claude'],
          ['google', 'gemini'],
        ],
      );
    } finally {
      await closeAll(providers);
    }
  });

  test('the registry resolves name: prefixes against the built providers, and the default model', async () => {
    const providers = ONE_OF_EACH.map(createProvider);
    try {
      const registry = new ProviderRegistry({ providers, defaultProvider: 'anthropic', defaultModel: 'google:gemini-2.5-pro' });
      assert.deepEqual(registry.names(), ['anthropic', 'groq', 'mock', 'google']);
      assert.equal(registry.mockOnly, false);
      const chosen = registry.resolve('google:gemini-2.5-flash');
      assert.equal(chosen.provider.name, 'google');
      assert.equal(chosen.model, 'gemini-2.5-flash');
      assert.equal(registry.resolve('claude-opus').provider.name, 'anthropic');
      assert.deepEqual([registry.resolve().provider.name, registry.resolve().model], ['google', 'gemini-2.5-pro']);
    } finally {
      await closeAll(providers);
    }
  });

  test('the registry refuses two providers with one name and a default that is not configured', async () => {
    const providers = [createProvider(ONE_OF_EACH[1]!), createProvider(ONE_OF_EACH[1]!)];
    try {
      assert.throws(() => new ProviderRegistry({ providers, defaultProvider: 'mock' }), /two providers are named "mock"/);
      assert.throws(() => new ProviderRegistry({ providers: providers.slice(0, 1), defaultProvider: 'anthropic' }), /default provider "anthropic" is not configured/);
    } finally {
      await closeAll(providers);
    }
  });
});

describe('native provider configuration', () => {
  const base = { PORT: '0', PARLEY_DATA_DIR: '/tmp/parley-unused' };

  test('ANTHROPIC_API_KEY and GEMINI_API_KEY configure the anthropic and google kinds, in that order, after OpenAI-compatible ones', () => {
    const config = loadConfig({ ...base, OPENAI_API_KEY: 'sk-o', ANTHROPIC_API_KEY: 'sk-ant', GEMINI_API_KEY: 'AIza-g', PARLEY_ANTHROPIC_THINKING_BUDGET: '2048', PARLEY_GEMINI_THINKING_BUDGET: '-1' });
    assert.deepEqual(
      config.providers.map((provider) => [provider.kind, provider.name]),
      [
        ['openai-compatible', 'openai'],
        ['anthropic', 'anthropic'],
        ['google', 'google'],
      ],
    );
    const [, anthropic, google] = config.providers;
    assert.ok(anthropic?.kind === 'anthropic' && google?.kind === 'google');
    assert.equal(anthropic.baseURL, 'https://api.anthropic.com');
    assert.equal(anthropic.maxTokens, 4096);
    assert.equal(anthropic.thinkingBudgetTokens, 2048);
    assert.equal(anthropic.defaultModel, 'claude-sonnet-4-5');
    assert.equal(google.baseURL, 'https://generativelanguage.googleapis.com/v1beta');
    assert.equal(google.thinkingBudgetTokens, -1);
    assert.equal(config.defaultProvider, 'openai');
  });

  test('GOOGLE_API_KEY is accepted for Gemini; base URLs and MODEL_NAME apply; the first native provider can be the default', () => {
    const config = loadConfig({ ...base, GOOGLE_API_KEY: 'AIza-x', GEMINI_BASE_URL: 'http://127.0.0.1:9/v1beta', MODEL_NAME: 'gemini-2.5-pro' });
    const [google] = config.providers;
    assert.ok(google?.kind === 'google');
    assert.equal(google.apiKey, 'AIza-x');
    assert.equal(google.baseURL, 'http://127.0.0.1:9/v1beta');
    assert.equal(google.defaultModel, 'gemini-2.5-pro');
    assert.equal(google.thinkingBudgetTokens, undefined);
    assert.equal(config.defaultProvider, 'google');
  });

  test('a thinking budget below Anthropic\'s minimum stops startup naming the variable', () => {
    assert.throws(
      () => loadConfig({ ...base, ANTHROPIC_API_KEY: 'sk-ant', PARLEY_ANTHROPIC_THINKING_BUDGET: '500' }),
      (error: ConfigError) => error instanceof ConfigError && error.variable === 'PARLEY_ANTHROPIC_THINKING_BUDGET',
    );
    assert.throws(() => loadConfig({ ...base, ANTHROPIC_BASE_URL: 'api.anthropic.com' }), /ANTHROPIC_BASE_URL/);
  });
});

describe('Retry-After as seconds', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  test('delta-seconds and HTTP dates (IMF-fixdate and RFC 850) are parsed; a past date means now', () => {
    assert.equal(parseRetryAfter('7', now), 7);
    assert.equal(parseRetryAfter(' 1.5 ', now), 1.5);
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now), 30);
    assert.equal(parseRetryAfter('Wednesday, 01-Jan-25 00:01:00 GMT', now), 60);
    assert.equal(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter('-3', now), undefined);
  });

  test('retry-after-ms is the fallback; nothing usable is undefined', () => {
    assert.equal(retryAfterFromHeaders({ 'retry-after-ms': '1500' }, now), 1.5);
    assert.equal(retryAfterFromHeaders({ 'retry-after': 'later', 'retry-after-ms': '250' }, now), 0.25);
    assert.equal(retryAfterFromHeaders({}, now), undefined);
  });

  test('ParleyError keeps a valid retry hint and drops a negative or infinite one', () => {
    assert.equal(new ParleyError('upstream_rate_limited', 'x', { retryAfterSeconds: 2.5 }).retryAfterSeconds, 2.5);
    assert.equal(new ParleyError('upstream_rate_limited', 'x', { retryAfterSeconds: -1 }).retryAfterSeconds, undefined);
    assert.equal(new ParleyError('upstream_rate_limited', 'x', { retryAfterSeconds: Number.POSITIVE_INFINITY }).retryAfterSeconds, undefined);
  });
});
