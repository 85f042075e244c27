/**
 * How a run ends: the outcome (completed, failed, cancelled, interrupted)
 * decided from the run's signal and its last upstream error, written to the
 * store, then logged as the terminal event every reader sees.
 */
import { ParleyError } from '../errors.js';
import type { StopReason } from './directory.js';
import { isTerminal, type RunError, type TerminalEvent, type TerminalPayload } from './events.js';
import type { Accumulated, RunContext } from './run.js';

function retryAfter(error: ParleyError): { retry_after?: number } {
  return error.retryAfterSeconds === undefined ? {} : { retry_after: error.retryAfterSeconds };
}

/** The target that answered a fallback run, for its message and run rows; undefined for another run or when none answered. */
function fallbackServed(context: RunContext, accumulated: Accumulated): { provider: string; model: string } | undefined {
  const target = accumulated.served;
  if (!context.fallback || target === undefined) return undefined;
  return { provider: target.provider.name, model: target.model };
}

function stopReason(signal: AbortSignal): StopReason | undefined {
  // Stopped by the log with an error (logEndedError): a failure, not a stop.
  if (!signal.aborted || signal.reason instanceof ParleyError) return undefined;
  return signal.reason === 'interrupted' ? 'interrupted' : 'cancelled';
}

/**
 * Stores the run's outcome, frees its conversation (RunContext.beforeTerminal),
 * and logs its terminal event; resolves with the terminal event the log holds.
 * Never rejects: a store failure is reported to the observer.
 */
export async function finish(context: RunContext, accumulated: Accumulated, upstreamFailure: ParleyError | undefined): Promise<TerminalEvent> {
  const { signal } = context.controller;
  const stopped = stopReason(signal);
  const failure = signal.reason instanceof ParleyError ? signal.reason : upstreamFailure;
  const usage = accumulated.usage;
  let terminal: TerminalPayload;
  let status: 'complete' | 'failed' | 'cancelled' | 'interrupted';
  let error: RunError | undefined;
  if (stopped !== undefined) {
    status = stopped;
    terminal = { type: 'run.cancelled', message_id: context.messageId, usage };
  } else if (failure !== undefined) {
    status = 'failed';
    error = { code: failure.code, message: failure.message, retryable: failure.retryable, ...retryAfter(failure) };
    terminal = { type: 'run.failed', message_id: context.messageId, error, usage };
  } else {
    status = 'complete';
    terminal = { type: 'run.completed', message_id: context.messageId, finish_reason: accumulated.finishReason ?? 'stop', usage };
  }
  const finishReason = status === 'complete' ? (accumulated.finishReason ?? 'stop') : status === 'failed' ? null : 'cancelled';
  try {
    await accumulated.checkpoint;
    const served = fallbackServed(context, accumulated);
    const outcome = {
      status,
      content: accumulated.content,
      reasoning: accumulated.reasoning,
      finish_reason: finishReason,
      usage,
      error,
      ...(accumulated.providerMetadata === undefined ? {} : { providerMetadata: accumulated.providerMetadata }),
      served: { provider: (accumulated.served ?? context.targets[0])?.provider.name ?? '', ...served },
    };
    await context.store.finishRun(
      context.id,
      { status, finishReason, usage, errorCode: error?.code ?? null, ...(served === undefined ? {} : { served }) },
      context.messageId === null ? undefined : { messageId: context.messageId, conversationId: context.conversationId, outcome },
    );
  } catch (storeError) {
    // The answer still reaches connected clients through the log; the row stays
    // `streaming` until lease recovery marks it `interrupted`.
    context.observer?.storeFailed(context.id, storeError);
  }
  await context.beforeTerminal?.();
  const logged = context.log.append(context.id, terminal);
  // `done` resolves once every reader, on any instance, can see the outcome.
  await context.log.flush(context.id);
  if (logged !== undefined && isTerminal(logged)) {
    context.observer?.event(context.id, terminal);
    return logged;
  }
  // Ended from outside: the terminal event the log holds is the run's outcome.
  const held = (await context.log.snapshot(context.id))?.at(-1);
  return held !== undefined && isTerminal(held) ? held : { ...terminal, seq: 0, at: Date.now() };
}
