/**
 * Logs runs: at info one line when a run ends, `run finished`, naming it
 * (surface, provider, model, owner) with its outcome and usage; at debug also
 * `run started`. Each line carries the `runId` and the `reqId` of the request
 * that started the run (a run outlives its request, so the id travels with the
 * run rather than through the request's async context). One line per run at
 * info, like one per request: log lines are a measurable share of a request's
 * CPU. Prompt text is logged only with `PARLEY_LOG_PROMPTS=true`, and then at
 * debug level.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ChatRequest } from '../providers/types.js';
import { isTerminal, type RunEventPayload } from '../runs/events.js';
import type { RunObserver, RunStart } from '../runs/run.js';

/** What every line of one run carries. */
interface RunFields {
  reqId?: string;
  runId: string;
  surface: string;
  provider: string;
  model: string;
  ownerId: string;
}

/** Writes run lifecycle lines to the app's logger. */
export class LoggingRunObserver implements RunObserver {
  /** Fields of the runs in progress, by run id; removed when the run ends. */
  private readonly runs = new Map<string, RunFields>();

  /**
   * @param appLogger the app's logger (resolved lazily: the app is built after the run manager).
   * @param logPrompts whether to log the user text at debug level.
   */
  constructor(
    private readonly appLogger: () => FastifyBaseLogger | undefined,
    private readonly logPrompts: boolean,
  ) {}

  started(run: RunStart): void {
    const logger = this.appLogger();
    if (logger === undefined) return;
    // One shape for every run (a conditional spread gave each its own hidden class, ~0.4 KB per
    // open run); an undefined reqId is left out of the line by the serializer.
    const fields: RunFields = {
      reqId: run.requestId,
      runId: run.id,
      surface: run.surface,
      provider: run.provider,
      model: run.model,
      ownerId: run.ownerId,
    };
    this.runs.set(run.id, fields);
    logger.debug(fields, 'run started');
    if (this.logPrompts) logger.debug({ reqId: fields.reqId, runId: run.id, prompt: lastUserText(run.request) }, 'run prompt');
  }

  event(runId: string, payload: RunEventPayload): void {
    if (payload.type === 'run.target') {
      const fields = this.runs.get(runId);
      if (fields !== undefined) {
        this.appLogger()?.info({ reqId: fields.reqId, runId, provider: payload.provider, model: payload.model }, 'run served by fallback target');
        // The line at the end names the target that served.
        fields.provider = payload.provider;
        fields.model = payload.model;
      }
    }
    if (!isTerminal(payload)) return;
    const fields = this.runs.get(runId);
    const logger = this.appLogger();
    if (fields === undefined || logger === undefined) return;
    this.runs.delete(runId);
    const usage = payload.usage;
    switch (payload.type) {
      case 'run.completed':
        logger.info({ ...fields, outcome: 'completed', finishReason: payload.finish_reason, usage }, 'run finished');
        return;
      case 'run.cancelled':
        logger.info({ ...fields, outcome: 'cancelled', usage }, 'run finished');
        return;
      case 'run.failed':
        logger.warn({ ...fields, outcome: 'failed', error: { code: payload.error.code, message: payload.error.message }, usage }, 'run finished');
        return;
    }
  }

  storeFailed(runId: string, error: unknown): void {
    const fields = this.runs.get(runId);
    this.appLogger()?.error({ err: error, reqId: fields?.reqId, runId }, 'run outcome not stored; its rows stay `streaming` until lease recovery marks them `interrupted`');
  }
}

/** The text of the request's last user message (what the user just typed). */
function lastUserText(request: ChatRequest): string {
  return [...request.messages].reverse().find((message) => message.role === 'user')?.content ?? '';
}
