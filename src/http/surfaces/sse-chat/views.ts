/**
 * Seed 003's wire format ("Response (Server-Sent Events)", "API Response
 * Format"): each answer delta as raw text in `data:` (`data: Hello`,
 * `data:  world`), then `event: done` / `data: [DONE]`; a failure is
 * `event: error` / `data: <message>` and nothing after it.
 */
import type { RunEvent } from '../../../runs/events.js';
import type { SseMessage } from '../../streaming/sse.js';
import { statelessView } from '../../streaming/stream-view.js';

/** What a seed 003 client sees when a run was stopped (history cleared, server stopping). */
export const STOPPED_MESSAGE = 'The answer was stopped before it completed.';

/**
 * Maps one run event to seed 003's messages. Text with newlines is framed by
 * the shared writer as one `data:` line per line, which SSE clients join with
 * `\n`. Reasoning is not sent: the seed's clients print every `data:` line,
 * named event or not, so it would show up inside the answer.
 */
export function plainSseMessage(event: RunEvent): SseMessage | undefined {
  switch (event.type) {
    case 'message.delta':
      // An empty `data:` would be an empty event, which EventSource drops anyway.
      return event.text === '' ? undefined : { data: event.text };
    case 'run.completed':
      return { event: 'done', data: '[DONE]' };
    case 'run.failed':
      return { event: 'error', data: event.error.message };
    case 'run.cancelled':
      // The seed has no cancel; anything short of a complete answer is an error to its clients.
      return { event: 'error', data: STOPPED_MESSAGE };
    default:
      return undefined;
  }
}

/**
 * Seed 003's stream view: resumable by event id; every provider failure,
 * even before the first token, is `event: error` on the 200 stream, as the
 * seed documents it.
 */
export const plainSseView = statelessView(plainSseMessage, { resume: 'event', earlyFailure: 'event' });
