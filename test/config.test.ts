/**
 * The configuration loader in-process: typed settings from the variable
 * table, model aliases, CORS origins, provider presets, and the shape of
 * src/config itself (no import cycle).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Value from 'typebox/value';
import { ConfigError } from '../src/config/errors.js';
import { loadConfig, parseCorsOrigins } from '../src/config/load.js';
import { VARIABLES } from '../src/config/variables.js';
import { originAllowed } from '../src/http/plugins/cors.js';

const SOURCE_ROOT = fileURLToPath(new URL('../src/', import.meta.url));

/** Loads with a throwaway data dir and the given variables. */
function load(environment: Record<string, string>) {
  return loadConfig({ PARLEY_DATA_DIR: '/tmp/parley-config-test', ...environment });
}

function configError(environment: Record<string, string>): ConfigError {
  try {
    load(environment);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail('the configuration was accepted');
}

/** Relative imports of every file under src, resolved to absolute .ts paths. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (path.endsWith('.ts')) {
        const imports = [...readFileSync(path, 'utf8').matchAll(/^(?:import|export)[^;]*?from '(\.[^']+)'/gms)];
        graph.set(
          path,
          imports.map((match) => resolve(dirname(path), match[1]!.replace(/\.js$/, '.ts'))),
        );
      }
    }
  };
  walk(SOURCE_ROOT);
  return graph;
}

/** Strongly connected components with more than one file (Tarjan): the import cycles. */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const lowLinks = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (node: string) => {
    indices.set(node, index);
    lowLinks.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        connect(next);
        lowLinks.set(node, Math.min(lowLinks.get(node)!, lowLinks.get(next)!));
      } else if (onStack.has(next)) {
        lowLinks.set(node, Math.min(lowLinks.get(node)!, indices.get(next)!));
      }
    }
    if (lowLinks.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) components.push(component);
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) connect(node);
  return components;
}

describe('configuration', () => {
  test('every default satisfies its own schema', () => {
    for (const [key, spec] of Object.entries(VARIABLES)) {
      if (!('default' in spec)) continue;
      assert.ok(Value.Check(spec.schema, spec.default), `${key}: default ${JSON.stringify(spec.default)}`);
    }
  });

  test('no file of src/config is part of an import cycle', () => {
    const graph = importGraph();
    assert.ok(graph.size > 20, 'the sources were found');
    const throughConfig = cycles(graph).filter((component) => component.some((file) => relative(SOURCE_ROOT, file).startsWith('config/')));
    assert.deepEqual(
      throughConfig.map((component) => component.map((file) => relative(SOURCE_ROOT, file))),
      [],
    );
  });

  test('values are converted to their types: numbers, booleans, lower-cased levels', () => {
    const config = load({ PORT: '8123', LOG_LEVEL: 'WARN', PARLEY_LOG_PROMPTS: 'true', PARLEY_UPSTREAM_MAX_CONNECTIONS: '0', PARLEY_LISTEN_BACKLOG: '1024' });
    assert.equal(config.port, 8123);
    assert.equal(config.logLevel, 'warn');
    assert.equal(config.logPrompts, true);
    assert.equal(config.listenBacklog, 1024);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.guard.rateLimits));
  });

  test('defaults: a backlog larger than Node\'s 511 and a connection limit far above 128', () => {
    const config = load({ PARLEY_PROVIDER_BASE_URL: 'http://127.0.0.1:9/v1' });
    assert.equal(config.listenBacklog, 4096);
    assert.equal(config.providers[0]?.maxConnections, 4096);
    assert.equal(configError({ PARLEY_LISTEN_BACKLOG: '0' }).variable, 'PARLEY_LISTEN_BACKLOG');
  });

  test('provider presets: each key enables its provider with its base URL, default model and headers', () => {
    const config = load({ OPENROUTER_API_KEY: 'sk-or', OPENAI_API_KEY: 'sk-oa', APP_URL: 'https://chat.example', APP_TITLE: 'Chat' });
    assert.deepEqual(
      config.providers.map((provider) => [provider.name, provider.baseURL, provider.defaultModel, provider.headers]),
      [
        ['openrouter', 'https://openrouter.ai/api/v1', 'openai/gpt-4o-mini', { 'HTTP-Referer': 'https://chat.example', 'X-Title': 'Chat' }],
        ['openai', 'https://api.openai.com/v1', 'gpt-4o-mini', {}],
      ],
    );
    assert.equal(config.defaultProvider, 'openrouter');
    const overridden = load({ OPENAI_API_KEY: 'sk-oa', OPENAI_BASE_URL: 'http://127.0.0.1:7000/v1', MODEL_NAME: 'gpt-4.1' });
    assert.deepEqual([overridden.providers[0]?.baseURL, overridden.providers[0]?.defaultModel], ['http://127.0.0.1:7000/v1', 'gpt-4.1']);
  });

  describe('PARLEY_MODEL_ALIASES', () => {
    test('maps names to targets: provider-prefixed, plain ids, and arrays whose order is kept', () => {
      const config = load({
        OPENROUTER_API_KEY: 'sk-or',
        PARLEY_MODEL_ALIASES: JSON.stringify({
          'openassistant-medium': 'openrouter:openai/gpt-4o-mini',
          'openassistant-mini': 'mock:mock-model',
          local: 'llama3.2:3b',
          best: ['openrouter:anthropic/claude-3.5-sonnet', 'mock:mock-reasoner'],
        }),
      });
      assert.deepEqual(config.modelAliases, {
        'openassistant-medium': [{ provider: 'openrouter', model: 'openai/gpt-4o-mini' }],
        'openassistant-mini': [{ provider: 'mock', model: 'mock-model' }],
        local: [{ model: 'llama3.2:3b' }],
        best: [
          { provider: 'openrouter', model: 'anthropic/claude-3.5-sonnet' },
          { provider: 'mock', model: 'mock-reasoner' },
        ],
      });
    });

    test('an alias whose provider is not configured stops startup naming the alias', () => {
      const error = configError({ PARLEY_MODEL_ALIASES: '{"openassistant-medium": "openrouter:openai/gpt-4o-mini"}' });
      assert.equal(error.variable, 'PARLEY_MODEL_ALIASES');
      assert.match(error.message, /alias "openassistant-medium" targets provider "openrouter", which is not configured/);
      const inArray = configError({ PARLEY_MODEL_ALIASES: '{"fast": ["mock:mock-model", "groq:llama-3.1-8b-instant"]}' });
      assert.match(inArray.message, /alias "fast" targets provider "groq"/);
    });

    test('bad JSON, a bad shape, an empty target and a chain of aliases are refused naming the variable', () => {
      for (const [value, message] of [
        ['{"a": ', /not valid JSON/],
        ['["a"]', /JSON object/],
        ['{"a": 3}', /alias "a": every target must be a non-empty string/],
        ['{"a": []}', /alias "a" has an empty list/],
        ['{"a": "mock:"}', /alias "a" names provider "mock" but no model/],
        ['{"a": "b", "b": "mock:mock-model"}', /alias "a" targets the alias "b"/],
      ] as const) {
        const error = configError({ PARLEY_MODEL_ALIASES: value });
        assert.equal(error.variable, 'PARLEY_MODEL_ALIASES', value);
        assert.match(error.message, message, value);
      }
    });
  });

  describe('CORS_ORIGINS', () => {
    test('unset allows pages on localhost, 127.0.0.1 and [::1] on any port, nothing else', () => {
      const options = parseCorsOrigins(undefined);
      for (const origin of ['http://localhost:3000', 'http://localhost:5173', 'http://127.0.0.1:8080', 'http://localhost', 'https://localhost:8443', 'http://[::1]:3000']) {
        assert.ok(originAllowed(options, origin), origin);
      }
      for (const origin of ['https://evil.example', 'http://localhost.evil.example', 'http://127.0.0.2:3000', 'null', 'file://', 'chrome-extension://abc']) {
        assert.ok(!originAllowed(options, origin), origin);
      }
    });

    test('`*` allows any, `none` none, a list exactly its origins (trailing slash dropped)', () => {
      assert.ok(originAllowed(parseCorsOrigins('*'), 'https://evil.example'));
      const none = parseCorsOrigins('none');
      assert.deepEqual(none, { allowedOrigins: 'none' });
      assert.ok(!originAllowed(none, 'http://localhost:3000'));
      const listed = parseCorsOrigins('https://app.example, http://localhost:5173/');
      assert.deepEqual(listed, { allowedOrigins: ['https://app.example', 'http://localhost:5173'] });
      assert.ok(originAllowed(listed, 'http://localhost:5173'));
      assert.ok(!originAllowed(listed, 'http://localhost:3000'));
    });

    test('an entry that is not an origin stops startup naming the variable', () => {
      for (const value of ['app.example', 'https://app.example/chat', 'localhost:3000']) {
        const error = configError({ CORS_ORIGINS: value });
        assert.equal(error.variable, 'CORS_ORIGINS', value);
      }
    });
  });
});
