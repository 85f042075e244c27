/**
 * Run events: the payloads of the run event log (DESIGN.md "Provider-neutral
 * stream parts"). Views map these to their wire formats and nothing else.
 */
import type { FinishReason, Usage } from '../providers/types.js';
import type { ErrorCode } from '../errors.js';

/** A thinking step (DESIGN.md "Thinking"); `progress` is 0–100. */
export interface ThinkingStep {
  step: number;
  status: string;
  message: string;
  progress: number;
  timestamp: string;
}

/** An error as a terminal event carries it. */
export interface RunError {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  /** Seconds the client should wait before retrying (from upstream `Retry-After`). */
  retry_after?: number;
}

/** Event payloads in the order a run can emit them. */
export type RunEventPayload =
  | { type: 'run.started'; run_id: string; conversation_id: string | null; message_id: string | null; model: string; provider: string }
  /**
   * A run with fallbacks (an alias with a list of targets): the target that
   * answers, logged before its first part. `model` is the provider's id.
   */
  | { type: 'run.target'; provider: string; model: string }
  | { type: 'reasoning.delta'; text: string }
  | { type: 'thinking.step'; step: ThinkingStep }
  | { type: 'message.delta'; text: string }
  | { type: 'tool_call.delta'; index: number; id?: string; name?: string; arguments?: string }
  | { type: 'usage'; usage: Usage }
  /** From structured thinking: values the model gave, null / empty when it gave none. */
  | { type: 'answer.metadata'; confidence: number | null; suggested_followups: string[] }
  | { type: 'run.completed'; message_id: string | null; finish_reason: FinishReason; usage: Usage }
  | { type: 'run.failed'; message_id: string | null; error: RunError; usage: Usage }
  | { type: 'run.cancelled'; message_id: string | null; usage: Usage };

/**
 * A logged event: its payload, its position (`seq`, counting from 1 per run)
 * and when it was logged (`at`, ms since the epoch, the appending instance's
 * clock). Views that report times (seed 002's steps, seed 000's status) read
 * `at`, so a replay of the log yields the same times as the live stream did.
 */
export type RunEvent = RunEventPayload & { seq: number; at: number };

/** Payloads of the events that end a run. */
export type TerminalPayload = Extract<RunEventPayload, { type: 'run.completed' | 'run.failed' | 'run.cancelled' }>;

/** Event types that end a run; every run logs exactly one. */
export type TerminalEvent = Extract<RunEvent, { type: 'run.completed' | 'run.failed' | 'run.cancelled' }>;

/** Whether an event ends its run. */
export function isTerminal<T extends RunEventPayload>(event: T): event is Extract<T, { type: 'run.completed' | 'run.failed' | 'run.cancelled' }> {
  return event.type === 'run.completed' || event.type === 'run.failed' || event.type === 'run.cancelled';
}
