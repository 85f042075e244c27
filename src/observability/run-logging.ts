/**
 * Logs runs: one line when a run starts and one when it ends, with the
 * `reqId` of the request that started it (a run outlives its request, so the
 * id travels with the run rather than through the request's async context). Prompt text is
 * logged only with `PARLEY_LOG_PROMPTS=true`, and then at debug level.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ChatRequest } from '../providers/types.js';
import { isTerminal, type RunEventPayload } from '../runs/events.js';
import type { RunObserver, RunStart } from '../runs/run.js';

/** Writes run lifecycle lines to the request's (or the app's) logger. */
export class LoggingRunObserver implements RunObserver {
  private readonly loggers = new Map<string, FastifyBaseLogger>();

  /**
   * @param appLogger the app's logger, for runs started outside a request (resolved lazily: the app is built after the run manager).
   * @param logPrompts whether to log the user text at debug level.
   */
  constructor(
    private readonly appLogger: () => FastifyBaseLogger | undefined,
    private readonly logPrompts: boolean,
  ) {}

  started(run: RunStart): void {
    const parent = this.appLogger();
    if (parent === undefined) return;
    const logger = parent.child(run.requestId === undefined ? { runId: run.id } : { reqId: run.requestId, runId: run.id });
    this.loggers.set(run.id, logger);
    logger.info({ surface: run.surface, provider: run.provider, model: run.model, ownerId: run.ownerId }, 'run started');
    if (this.logPrompts) logger.debug({ prompt: lastUserText(run.request) }, 'run prompt');
  }

  event(runId: string, payload: RunEventPayload): void {
    if (payload.type === 'run.target') this.loggers.get(runId)?.info({ provider: payload.provider, model: payload.model }, 'run served by fallback target');
    if (!isTerminal(payload)) return;
    const logger = this.loggers.get(runId);
    if (logger === undefined) return;
    this.loggers.delete(runId);
    const usage = payload.usage;
    switch (payload.type) {
      case 'run.completed':
        logger.info({ outcome: 'completed', finishReason: payload.finish_reason, usage }, 'run finished');
        return;
      case 'run.cancelled':
        logger.info({ outcome: 'cancelled', usage }, 'run finished');
        return;
      case 'run.failed':
        logger.warn({ outcome: 'failed', error: { code: payload.error.code, message: payload.error.message }, usage }, 'run finished');
        return;
    }
  }

  storeFailed(runId: string, error: unknown): void {
    const logger = this.loggers.get(runId) ?? this.appLogger();
    logger?.error({ err: error, runId }, 'run outcome not stored; its rows stay `streaming` until lease recovery marks them `interrupted`');
  }
}

/** The text of the request's last user message (what the user just typed). */
function lastUserText(request: ChatRequest): string {
  return [...request.messages].reverse().find((message) => message.role === 'user')?.content ?? '';
}
