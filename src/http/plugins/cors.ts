/**
 * Browser access (CORS, https://fetch.spec.whatwg.org/#http-cors-protocol)
 * and the WebSocket `Origin` check, from one list of allowed origins
 * (CORS_ORIGINS):
 *
 * - unset: pages served from this machine, `http(s)://localhost`,
 *   `127.0.0.1` or `[::1]` on any port, the frontends of a local setup;
 * - `*`: any origin; `none`: no origin; else the listed origins exactly.
 *
 * A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
 * is answered 204 in the first `onRequest` hooks, before authentication and
 * rate limits (browsers never send keys on a preflight), with the methods the
 * path takes and {@link ALLOWED_REQUEST_HEADERS}. An origin that is not
 * allowed gets no `Access-Control-Allow-*` headers, so the browser refuses.
 */
import cors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Which browser origins may call Parley. */
export interface CorsOptions {
  /** `loopback` (the default), `any`, `none`, or exact origins such as `https://app.example`. */
  allowedOrigins: 'loopback' | 'any' | 'none' | readonly string[];
}

/** Request headers a preflight always allows, besides those it asks for. */
export const ALLOWED_REQUEST_HEADERS = ['x-api-key', 'authorization', 'content-type', 'last-event-id', 'x-request-id'];

/** Response headers browsers may read. */
export const EXPOSED_RESPONSE_HEADERS = ['x-request-id', 'x-process-time', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'];

/** How long browsers may cache a preflight's answer, seconds (Chromium caps it at 7200). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether a page at `origin` (an `Origin` header value) may call Parley. */
export function originAllowed(options: CorsOptions, origin: string): boolean {
  const allowed = options.allowedOrigins;
  if (allowed === 'any') return true;
  if (allowed === 'none') return false;
  if (allowed !== 'loopback') return allowed.includes(origin);
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTS.has(url.hostname);
  } catch {
    return false;
  }
}

function headerList(value: string | string[] | undefined): string[] {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return text
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
}

/**
 * Registers CORS on `app`; install before authentication and rate limits,
 * after {@link installRouteMethods} (preflights list the path's methods).
 */
export async function installCors(app: FastifyInstance, options: CorsOptions): Promise<void> {
  const allows = (origin: string | undefined): boolean => origin !== undefined && originAllowed(options, origin);
  // Most requests (every API client that is not a browser) send no Origin: their options never change.
  const notAllowed: FastifyCorsOptions = { origin: false, exposedHeaders: EXPOSED_RESPONSE_HEADERS };
  await app.register(cors, {
    delegator: (request: FastifyRequest, callback: (error: Error | null, corsOptions: FastifyCorsOptions) => void) => {
      const origin = request.headers.origin;
      const isPreflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
      if (!isPreflight) {
        callback(null, allows(origin) ? { origin, exposedHeaders: EXPOSED_RESPONSE_HEADERS } : notAllowed);
        return;
      }
      const methods = app.routeMethods.of(request.url);
      // No route has this path: not a preflight Parley answers; it falls through to 404.
      callback(null, {
        origin: methods.length > 0 && allows(origin) ? origin : false,
        methods,
        allowedHeaders: [...new Set([...ALLOWED_REQUEST_HEADERS, ...headerList(request.headers['access-control-request-headers'])])],
        maxAge: PREFLIGHT_MAX_AGE_SECONDS,
      });
    },
  });
}
