/**
 * Security headers on every response, by `helmet` with its defaults (a strict
 * `Content-Security-Policy`, `X-Content-Type-Options: nosniff`,
 * `X-Frame-Options: SAMEORIGIN`, `Strict-Transport-Security`,
 * `Referrer-Policy: no-referrer`, `Cross-Origin-*-Policy` …). JSON and SSE
 * responses need nothing more; the documentation pages get a policy that lets
 * their own scripts, inline ones included, run.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/** Route prefixes of the browsable documentation pages (Swagger UI, Redoc). */
export const DOCUMENTATION_PREFIXES = ['/docs', '/redoc'] as const;

/**
 * Policy of the documentation pages: scripts and styles from this server,
 * inline ones allowed (page bootstraps), images and fonts also as `data:`,
 * workers from `blob:` (Redoc), nothing framed by or framing other sites.
 */
export const DOCUMENTATION_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: https:",
  "font-src 'self' data:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'self'",
].join('; ');

/** Route prefix of the playground page and its assets. */
export const PLAYGROUND_PREFIX = '/playground';

/**
 * Policy of the playground: its bundled script and stylesheet from this
 * server only (no inline script or style), API calls to this server only.
 */
export const PLAYGROUND_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function isDocumentation(routeUrl: string | undefined): boolean {
  return routeUrl !== undefined && DOCUMENTATION_PREFIXES.some((prefix) => routeUrl === prefix || routeUrl.startsWith(`${prefix}/`));
}

/**
 * The headers helmet's defaults set, computed once: they depend on no request,
 * and running helmet's middleware per request cost as much as 5% of a streamed answer.
 */
function helmetHeaders(): [string, string][] {
  const headers: [string, string][] = [];
  const response = {
    setHeader(name: string, value: string) {
      headers.push([name.toLowerCase(), value]);
    },
    removeHeader() {},
  };
  helmet()({} as IncomingMessage, response as unknown as ServerResponse, () => undefined);
  return headers;
}

/**
 * Sets helmet's headers on every response, and the documentation pages' and
 * playground's own policies. They go to the reply (Fastify's plain name → value
 * object), not to `reply.raw`: a header set on the raw response makes Node keep
 * every header of it, each as a `[name, value]` array, for the response's
 * whole life, about 1 KB per open event stream (event streams copy the reply's
 * headers, see run-stream.ts).
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  const headers = helmetHeaders();
  // Helmet drops `X-Powered-By`; Node's http server never sets it, so there is nothing to remove.
  app.addHook('onRequest', (request, reply, done) => {
    for (const [name, value] of headers) void reply.header(name, value);
    const url = request.routeOptions.url;
    if (isDocumentation(url)) void reply.header('content-security-policy', DOCUMENTATION_CSP);
    else if (url === PLAYGROUND_PREFIX || url?.startsWith(`${PLAYGROUND_PREFIX}/`) === true) void reply.header('content-security-policy', PLAYGROUND_CSP);
    done();
  });
}
