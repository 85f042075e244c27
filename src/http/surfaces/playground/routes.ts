/**
 * `GET /playground`: a chat page built on the AI SDK's `useChat` over
 * `/ai-sdk/chat`. Its script and stylesheet are bundled from `playground/`
 * by `npm run build` (esbuild) into `dist/playground/` and served from here,
 * never from a CDN; the page has no inline script or style, so its policy
 * allows only this server's (see security-headers.ts). The page and assets
 * need no key: the page asks for one when the API does.
 */
import { createReadStream, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { ParleyError } from '../../../errors.js';
import type { AppContext } from '../../context.js';
import { escapeHtml } from './landing.js';

/** Where `npm run build` puts the bundle: `<package root>/dist/playground/`, from src/ (tsx) and from dist/ alike. */
export const PLAYGROUND_BUNDLE_DIR = fileURLToPath(new URL('../../../../dist/playground/', import.meta.url));

/** The bundle's files and their content types; nothing else under /playground/ is served. */
const ASSETS = new Map([
  ['playground.js', 'application/javascript; charset=utf-8'],
  ['playground.css', 'text/css; charset=utf-8'],
]);

function playgroundPage(title: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} playground</title>
<link rel="stylesheet" href="/playground/playground.css">
<script type="module" src="/playground/playground.js"></script>
</head>
<body>
<div id="root"></div>
<noscript>The playground needs JavaScript.</noscript>
</body>
</html>
`;
}

/** Registers the page and its two assets. */
export function registerPlaygroundRoutes(app: FastifyInstance, context: AppContext): void {
  const page = playgroundPage(context.config.appTitle);
  app.get(
    '/playground',
    {
      config: { public: true },
      schema: {
        tags: ['playground'],
        summary: 'Playground: a chat page on useChat over /ai-sdk/chat (HTML)',
        security: [],
        response: { 200: { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } } },
      },
    },
    (_request, reply) => reply.type('text/html; charset=utf-8').send(page),
  );
  app.get<{ Params: { asset: string } }>('/playground/:asset', { config: { public: true }, schema: { hide: true } }, (request, reply) => {
    const type = ASSETS.get(request.params.asset);
    if (type === undefined) throw new ParleyError('not_found', `No playground asset ${request.params.asset}.`);
    const file = PLAYGROUND_BUNDLE_DIR + request.params.asset;
    if (!existsSync(file)) throw new ParleyError('internal_error', 'The playground is not built; run npm run build.');
    // The bundle changes with each build; revalidate rather than cache blindly.
    return reply.type(type).header('cache-control', 'no-cache').send(createReadStream(file));
  });
}
