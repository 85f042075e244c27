import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compileErrors, validate } from '@readme/openapi-parser';
import { startParley, type RunningParley } from './helpers/parley.js';

/**
 * Routes left out of the OpenAPI document on purpose (`schema.hide`): the
 * document itself, the pages and assets that render it, and the playground's
 * bundled assets. Everything else a client can call must be documented.
 */
// `*` is the OPTIONS route that answers CORS preflights for every path.
const UNDOCUMENTED = [/^\/openapi\.json$/, /^\/docs(\/.*)?$/, /^\/redoc(\/redoc\.standalone\.js)?$/, /^\/playground\/:asset$/, /^\*$/];

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * The routes the server serves, from Fastify's own route tree
 * (`printRoutes({ commonPrefix: false })`): each line is a path fragment with
 * its methods, indented four columns per level under its parent.
 */
function servedRoutes(tree: string): Set<string> {
  const routes = new Set<string>();
  const pathAtDepth: string[] = [];
  for (const line of tree.split('\n')) {
    const branch = line.search(/[├└]── /);
    if (branch < 0) continue;
    const depth = branch / 4;
    const match = /^(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line.slice(branch + 4));
    if (match === null) continue;
    const path = (depth === 0 ? '' : pathAtDepth[depth - 1]!) + match[1];
    pathAtDepth[depth] = path;
    for (const method of (match[2] ?? '').split(', ')) {
      if (METHODS.includes(method)) routes.add(`${method} ${path}`);
    }
  }
  return routes;
}

/** The parts of an OpenAPI 3 document the tests read. */
interface Operation {
  tags?: string[];
  summary?: string;
  parameters?: { name: string; in: string }[];
  responses: Record<string, { content?: Record<string, unknown> }>;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

/** Attribute URLs of `<script src>` and `<link href>` in a page. */
function assetUrls(html: string): string[] {
  return [...html.matchAll(/<(?:script|link)\b[^>]*?\s(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
}

describe('OpenAPI document and documentation pages', () => {
  let server: RunningParley;
  let document: OpenApiDocument;
  before(async () => {
    server = await startParley();
    const response = await fetch(`${server.url}/openapi.json`);
    assert.equal(response.status, 200);
    document = (await response.json()) as OpenApiDocument;
  });
  after(() => server.stop());

  test('/openapi.json is a valid OpenAPI 3 document', async () => {
    assert.match(document.openapi, /^3\./);
    const result = await validate(structuredClone(document) as unknown as Parameters<typeof validate>[0]);
    assert.ok(result.valid, result.valid ? '' : compileErrors(result));
  });

  test('lists every route the server serves, except the documented exclusions', () => {
    const tree = server.parley.app.printRoutes({ commonPrefix: false });
    const served = [...servedRoutes(tree)]
      .filter((route) => !UNDOCUMENTED.some((pattern) => pattern.test(route.split(' ')[1]!)))
      .map((route) => route.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}'));
    assert.ok(served.length > 10, `parsed the route tree:\n${tree}`);
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(new Set(documented), new Set(served));
  });

  test('documents the operations routes, and every operation has tags and a summary', () => {
    for (const path of ['/metrics', '/health', '/health/ready', '/usage', '/models', '/']) {
      assert.ok(document.paths[path]?.get, `${path} is documented`);
    }
    assert.ok(document.paths['/metrics']?.get?.responses['200']?.content?.['text/plain'], '/metrics is documented as text');
    assert.ok(document.paths['/usage']?.get?.parameters?.some((parameter) => parameter.name === 'from' && parameter.in === 'query'));
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        assert.ok(Array.isArray(operation.tags) && operation.tags.length > 0, `${method} ${path} has tags`);
        assert.ok(typeof operation.summary === 'string' && operation.summary !== '', `${method} ${path} has a summary`);
      }
    }
  });

  for (const page of ['/docs', '/redoc', '/playground']) {
    test(`${page} is an HTML page whose scripts and styles Parley serves itself`, async () => {
      const response = await fetch(`${server.url}${page}`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      const html = await response.text();
      const assets = assetUrls(html);
      assert.ok(assets.some((asset) => asset.endsWith('.js')), `${page} loads a script`);
      for (const asset of assets) {
        const url = new URL(asset, `${server.url}${page}`);
        assert.equal(url.origin, server.url, `${asset} is served by Parley, not a CDN`);
        const loaded = await fetch(url);
        assert.equal(loaded.status, 200, `${asset} loads`);
        await loaded.arrayBuffer();
      }
    });
  }

  test('/redoc renders /openapi.json with the bundled Redoc', async () => {
    const html = await (await fetch(`${server.url}/redoc`)).text();
    assert.match(html, /<redoc spec-url="\/openapi\.json">/);
    const bundle = await fetch(`${server.url}/redoc/redoc.standalone.js`);
    assert.match(bundle.headers.get('content-type') ?? '', /javascript/);
    assert.ok((await bundle.text()).length > 100_000);
  });
});
