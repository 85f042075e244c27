/**
 * Low-level response writing for the mock upstream: JSON answers, delayed
 * starts, and the paced SSE writer that also injects the mid-stream faults. Every timer is cleared when the response closes, so a
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
  fault: { kind: 'stall' | 'drop' | 'malformed' | 'error-event'; after: number } | undefined;
  /** The in-stream error event an `error-event` fault sends (the mode's own). */
  errorFrame: string;
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
    } else if (fault.kind === 'error-event') {
      response.end(text + plan.errorFrame);
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
