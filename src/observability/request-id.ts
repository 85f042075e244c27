/**
 * Request ids: a client (or a proxy in front) may send `X-Request-ID` to tie
 * its own logs to Parley's; anything that does not look like an id is replaced,
 * so a header cannot inject text into log lines or grow them without bound.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The header read from requests and set on every response. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** At most 128 characters of letters, digits, `.`, `_` and `-` (covers UUIDs, ULIDs, trace ids). */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The client's request id when acceptable, else undefined. Repeated headers
 * arrive joined by `, ` and are therefore rejected.
 */
export function acceptedRequestId(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && ACCEPTED_REQUEST_ID.test(value) ? value : undefined;
}

/**
 * Fastify's `genReqId`: the client's `X-Request-ID` when acceptable, else a
 * new UUID (RFC 9562 version 4). Fastify puts it in `request.id` and in every
 * log line of the request as `reqId`.
 */
export function requestIdFor(request: IncomingMessage): string {
  return acceptedRequestId(request.headers[REQUEST_ID_HEADER]) ?? randomUUID();
}
