/**
 * The table of routes as registered, with their guard-relevant options: which
 * are public, which start runs (and so are rate limited), which parts of the
 * request have a schema. Audits and tests read it from `app.routeInventory`
 * instead of each keeping its own list of routes.
 */
import type { FastifyInstance, FastifySchema, HTTPMethods } from 'fastify';

/** One registered method + path. */
export interface RouteInventoryEntry {
  method: HTTPMethods;
  /** Path as registered, e.g. `/conversations/:id`. */
  url: string;
  public: boolean;
  startsRun: boolean;
  /** Whether the route upgrades to a WebSocket (`@fastify/websocket`'s `websocket: true` or `wsHandler`). */
  websocket: boolean;
  /** Request schemas; undefined where the route declares none. */
  schema: Pick<FastifySchema, 'body' | 'params' | 'querystring'>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Routes registered after {@link installRouteInventory} (HEAD twins excluded). */
    routeInventory: readonly RouteInventoryEntry[];
  }
}

/**
 * Starts recording routes. Routes registered earlier (the documentation
 * pages) are not in the table.
 */
export function installRouteInventory(app: FastifyInstance): void {
  const entries: RouteInventoryEntry[] = [];
  app.decorate('routeInventory', entries);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const options: { websocket?: boolean; wsHandler?: unknown } = route;
    for (const method of methods) {
      // Fastify adds a HEAD twin to every GET; it is the same route.
      if (method === 'HEAD' && entries.some((entry) => entry.url === route.url && entry.method === 'GET')) continue;
      entries.push({
        method,
        url: route.url,
        public: route.config?.public === true,
        startsRun: route.config?.startsRun === true,
        websocket: options.websocket === true || typeof options.wsHandler === 'function',
        schema: { body: route.schema?.body, params: route.schema?.params, querystring: route.schema?.querystring },
      });
    }
  });
}
