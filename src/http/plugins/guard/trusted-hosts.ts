/**
 * Trusted hosts (PARLEY_TRUSTED_HOSTS): when set, a request whose `Host` (or,
 * behind a trusted proxy, `X-Forwarded-Host`) is not listed gets 400
 * `validation_failed`. This stops DNS-rebinding pages from talking to a
 * Parley on a private address and keeps forged hosts out of logs and links.
 * Public health checks (`/health`, `/api/health` …) are exempt: load
 * balancers and orchestrator probes often send a bare IP address as the host.
 * Other public routes (the docs, the WebSocket) are not.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ParleyError } from '../../../errors.js';

/**
 * Whether `request` names a trusted host. Patterns (lowercase): `example.com`
 * (any port), `example.com:8443` (that port), `*.example.com` (subdomains,
 * not the apex), `[::1]`.
 */
export function isTrustedHost(request: Pick<FastifyRequest, 'host' | 'hostname'>, patterns: readonly string[]): boolean {
  const host = (request.host ?? '').toLowerCase();
  const hostname = (request.hostname ?? '').toLowerCase();
  if (host === '') return false;
  return patterns.some((pattern) => {
    if (pattern.startsWith('*.')) return hostname.endsWith(pattern.slice(1)) && hostname.length > pattern.length - 1;
    return pattern === (/:\d+$/.test(pattern) ? host : hostname);
  });
}

function isHealthCheck(request: FastifyRequest): boolean {
  return request.routeOptions.config.public === true && /(^|\/)health(\/|$)/.test(request.routeOptions.url ?? '');
}

/** Installs the `onRequest` check; nothing when `patterns` is empty. */
export function installTrustedHosts(app: FastifyInstance, patterns: readonly string[]): void {
  if (patterns.length === 0) return;
  app.addHook('onRequest', (request, _reply, done) => {
    if (isHealthCheck(request) || isTrustedHost(request, patterns)) done();
    else done(new ParleyError('validation_failed', 'The Host header names an untrusted host.', { param: 'host' }));
  });
}
