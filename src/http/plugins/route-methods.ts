/**
 * Which methods a request path takes, from the routes as registered: what a
 * CORS preflight allows (`Access-Control-Allow-Methods`) and what a 405 lists
 * in `Allow` (RFC 9110 section 15.5.6). Fastify's own router answers only
 * "this method and path", so the routes are mirrored into a second
 * find-my-way router (the one Fastify uses, same options) that can be asked
 * for every method.
 */
import type { FastifyInstance, HTTPMethods } from 'fastify';
import FindMyWay from 'find-my-way';
import { ParleyError } from '../../errors.js';

/** The routes' methods by path. */
export interface RouteMethods {
  /**
   * Methods registered for the path of `url` (query string ignored), in
   * registration order; empty when no route matches or the URL is malformed.
   * `OPTIONS` is never listed: preflights are answered for every route.
   */
  of(url: string): HTTPMethods[];
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Methods of the routes registered after {@link installRouteMethods}. */
    routeMethods: RouteMethods;
  }
}

/** Router options that change which paths match; must equal the app's `routerOptions`. */
export interface RouteMatchOptions {
  maxParamLength?: number;
}

/**
 * Starts mirroring routes into {@link FastifyInstance.routeMethods} and
 * answers a request whose path exists under other methods with 405
 * `method_not_allowed` and `Allow`, before authentication (install it before
 * auth) and before its body is read. Install before any route is registered.
 */
export function installRouteMethods(app: FastifyInstance, options: RouteMatchOptions = {}): void {
  const router = FindMyWay({ ...options });
  const methods: HTTPMethods[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      if (method === 'OPTIONS') continue;
      router.on(method as FindMyWay.HTTPMethod, route.url, () => undefined);
      if (!methods.includes(method)) methods.push(method);
    }
  });
  const routeMethods: RouteMethods = {
    of: (url) => methods.filter((method) => router.find(method as FindMyWay.HTTPMethod, url) !== null),
  };
  app.decorate('routeMethods', routeMethods);

  app.addHook('onRequest', (request, _reply, done) => {
    if (!request.is404 || request.method === 'OPTIONS') return done();
    const allowed = routeMethods.of(request.url);
    if (allowed.length === 0) return done();
    done(
      new ParleyError('method_not_allowed', `${request.method} is not allowed on ${request.url.split('?')[0]}; use ${allowed.join(', ')}.`, {
        allowedMethods: allowed,
      }),
    );
  });
}
