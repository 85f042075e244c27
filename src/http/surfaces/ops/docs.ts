/**
 * `GET /redoc`: the OpenAPI document rendered by Redoc, with the Redoc bundle
 * served by Parley itself (from the `redoc` package), so the page works
 * without internet access. `/docs` (Swagger UI) is registered in app.ts.
 */
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';

/** Where the page loads Redoc from. */
export const REDOC_BUNDLE_PATH = '/redoc/redoc.standalone.js';

const bundleFile = createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js');

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** The page: no inline script, so a strict Content-Security-Policy can allow `script-src 'self'`. */
function redocPage(title: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} API reference</title>
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<redoc spec-url="/openapi.json"></redoc>
<script src="${REDOC_BUNDLE_PATH}"></script>
</body>
</html>
`;
}

/** Registers `GET /redoc` and the bundle it loads; both public and left out of the OpenAPI document. */
export function registerDocsRoutes(app: FastifyInstance, context: AppContext): void {
  const page = redocPage(context.config.appTitle);
  app.get('/redoc', { config: { public: true }, schema: { hide: true } }, (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(page),
  );
  app.get(REDOC_BUNDLE_PATH, { config: { public: true }, schema: { hide: true } }, (_request, reply) =>
    reply
      .type('application/javascript; charset=utf-8')
      // The bundle changes only with the installed package version.
      .header('cache-control', 'public, max-age=86400')
      .send(createReadStream(bundleFile)),
  );
}
