/**
 * The estimated memory of one run event, which the memory run log
 * (event-log.ts) budgets its events by.
 */
import type { RunEventPayload } from './events.js';

/** Bookkeeping of one event (object, position fields, array slot) beyond its strings, bytes. */
const EVENT_OVERHEAD_BYTES = 160;

/**
 * Estimated memory of one event, bytes: a fixed overhead plus its variable
 * strings (deltas, tool arguments, step messages); the rest of an event is small
 * and fixed. An estimate for a budget, not a measurement.
 */
export function eventBytes(payload: RunEventPayload): number {
  switch (payload.type) {
    case 'message.delta':
    case 'reasoning.delta':
      return EVENT_OVERHEAD_BYTES + payload.text.length;
    case 'tool_call.delta':
      return EVENT_OVERHEAD_BYTES + (payload.arguments?.length ?? 0) + (payload.name?.length ?? 0) + (payload.id?.length ?? 0);
    case 'thinking.step':
      return EVENT_OVERHEAD_BYTES + payload.step.message.length + payload.step.status.length;
    case 'answer.metadata':
      return EVENT_OVERHEAD_BYTES + payload.suggested_followups.reduce((sum, text) => sum + text.length, 0);
    case 'run.failed':
      return EVENT_OVERHEAD_BYTES + payload.error.message.length;
    default:
      return EVENT_OVERHEAD_BYTES;
  }
}
