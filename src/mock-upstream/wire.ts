/**
 * Low-level response writing for the mock upstream: JSON and OpenAI error
 * answers, delayed starts, and the paced SSE writer that also injects the
 * mid-stream faults. Every timer is cleared when the response closes, so a
 * client that hangs up never leaves a timer behind or causes a write after close.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

/** The line a `malformedAfter` fault sends in place of the next chunk. */
export const MALFORMED_FRAME = 'data: {not json\n\n';

const SSE_KEEP_ALIVE = Object.freeze({
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
});
const SSE_CLOSE = Object.freeze({ ...SSE_KEEP_ALIVE, Connection: 'close' });

/**
 * Headers of a streamed answer. `Connection` follows what Node negotiated with
 * the client, because setting `keep-alive` by hand would override a client's
 * `Connection: close`.
 */
export function sseHeaders(response: ServerResponse): Readonly<Record<string, string>> {
  return response.shouldKeepAlive ? SSE_KEEP_ALIVE : SSE_CLOSE;
}

/**
 * Reads a request body as UTF-8 text. Rejects if the client hangs up before
 * the body ends or the stream errors.
 */
export function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
    // A client that hangs up mid-body ends here; after 'end' this rejection is a no-op.
    request.on('close', () => reject(new Error('client closed the connection while sending the body')));
  });
}

/** JSON.parse without throwing, so callers can answer 400 instead. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * Writes a complete JSON answer with a Content-Length, so keep-alive clients
 * can reuse the connection without chunked framing.
 */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    Connection: response.shouldKeepAlive ? 'keep-alive' : 'close',
    ...headers,
  });
  response.end(body);
}

/** JSON text of OpenAI's error body `{"error": {message, type, param, code}}`. */
export function openAIError(message: string, type: string, code: string | null, param: string | null = null): string {
  return JSON.stringify({ error: { message, type, param, code } });
}

/** What a provider like OpenAI answers for an HTTP status, for the `failStatus` fault. */
const STATUS_ERRORS: Record<number, [message: string, type: string, code: string]> = {
  400: ['Invalid request (injected by the mock upstream).', 'invalid_request_error', 'invalid_request'],
  401: ['Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'],
  403: ['You are not allowed to sample from this model.', 'invalid_request_error', 'permission_denied'],
  404: ['The model does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found'],
  408: ['Request timed out.', 'timeout_error', 'timeout'],
  429: ['Rate limit reached for requests. Please try again later.', 'requests', 'rate_limit_exceeded'],
  500: ['The server had an error while processing your request.', 'server_error', 'internal_error'],
  502: ['Bad gateway.', 'server_error', 'bad_gateway'],
  503: ['The engine is currently overloaded, please try again later.', 'server_error', 'service_unavailable'],
  504: ['Gateway timeout.', 'server_error', 'gateway_timeout'],
};

/** Answers with the injected `status`; a 429 carries `Retry-After: retryAfterSeconds`. */
export function sendStatusFault(response: ServerResponse, status: number, retryAfterSeconds: number): void {
  const [message, type, code] = STATUS_ERRORS[status] ?? [
    `Mock upstream failure with status ${status}.`,
    status >= 500 ? 'server_error' : 'invalid_request_error',
    'mock_failure',
  ];
  const headers: Record<string, string> = status === 429 ? { 'Retry-After': String(retryAfterSeconds) } : {};
  sendJson(response, status, openAIError(message, type, code), headers);
}

/** Runs `start` after `ms` milliseconds, or never if the response closes first. */
export function startAfter(response: ServerResponse, ms: number, start: () => void): void {
  if (ms <= 0) {
    start();
    return;
  }
  const timer = setTimeout(start, ms);
  response.once('close', () => clearTimeout(timer));
}

/** A streamed answer to write: its events, end marker, pacing and fault. */
export interface StreamPlan {
  /** Complete SSE events, one per chunk. */
  frames: string[];
  /** Sent after the last frame when no fault fires (`data: [DONE]\n\n` or ''). */
  terminator: string;
  /** `frames` + `terminator` already joined, reused when the whole body goes in one write. */
  body?: string;
  /** Milliseconds between chunks; 0 writes everything at once. */
  intervalMs: number;
  /** Fault that fires after `after` chunks (at the latest, before the terminator). */
  fault: { kind: 'stall' | 'drop' | 'malformed'; after: number } | undefined;
  /** Called just before the writer destroys the socket for a `drop` fault. */
  onDrop: () => void;
}

/**
 * Writes a streamed answer whose headers were set with `writeHead` (they go
 * out with the first write). Chunks are due at fixed offsets from the start,
 * so pacing does not drift and rates beyond timer resolution write in batches.
 */
export function writeStream(response: ServerResponse, plan: StreamPlan): void {
  const { frames, fault } = plan;
  const limit = fault === undefined ? frames.length : Math.min(fault.after, frames.length);

  const finish = (text: string): void => {
    if (fault === undefined) {
      response.end(text + plan.terminator);
    } else if (fault.kind === 'malformed') {
      response.end(text + MALFORMED_FRAME);
    } else if (fault.kind === 'drop') {
      plan.onDrop();
      // Destroy only once the chunks are on the wire, so the client sees them before the reset.
      if (text === '') response.destroy();
      else response.write(text, () => response.destroy());
    } else if (text === '') {
      response.flushHeaders();
    } else {
      response.write(text);
    }
  };

  if (plan.intervalMs <= 0 || limit <= 1) {
    if (fault === undefined && plan.body !== undefined) response.end(plan.body);
    else finish(frames.slice(0, limit).join(''));
    return;
  }

  const startedAt = performance.now();
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  response.once('close', () => clearTimeout(timer));
  const tick = (): void => {
    if (response.destroyed) return;
    const due = Math.min(limit, Math.floor((performance.now() - startedAt) / plan.intervalMs) + 1);
    const batch = due > sent ? frames.slice(sent, due).join('') : '';
    sent = Math.max(sent, due);
    if (sent >= limit) {
      finish(batch);
      return;
    }
    if (batch !== '') response.write(batch);
    timer = setTimeout(tick, Math.max(0, startedAt + sent * plan.intervalMs - performance.now()));
  };
  tick();
}
