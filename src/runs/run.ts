/**
 * One run: a single assistant generation. It owns the upstream call and its
 * AbortController, appends events to the log, and writes the outcome to the
 * store. It does not belong to any HTTP connection.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ParleyError } from '../errors.js';
import type { ResolvedTarget } from '../providers/registry.js';
import { emptyUsage, type ChatRequest, type FinishReason, type ProviderMetadata, type Usage } from '../providers/types.js';
import type { Store } from '../store/index.js';
import { LOG_FULL_MESSAGE, type RunEventLog } from './event-log.js';
import { isTerminal, type RunEventPayload, type TerminalEvent } from './events.js';
import { switchesTarget, targetName, type TargetCooldown } from './fallback.js';
import type { EarlyAttempt } from './early-attempt.js';
import { roomInLog } from './log-room.js';
import { finish } from './run-outcome.js';
import { ThinkingTransform, type RunPart, type ThinkingMode } from './thinking/index.js';

export type { StopReason } from './directory.js';

/** Everything a run needs, resolved by the manager. */
export interface RunContext {
  id: string;
  ownerId: string;
  conversationId: string | null;
  messageId: string | null;
  /**
   * Where to ask, in order: one target, or a fallback alias's list (the run
   * moves on when a target fails before its first byte, see fallback.ts).
   * `request.model` is replaced by each target's model.
   */
  targets: readonly ResolvedTarget[];
  /**
   * The first attempt at the only target, already sent by the manager while
   * the run's row was written (early-attempt.ts); read by that attempt instead
   * of a new call. Never set with more than one target: which one goes first
   * is decided when the run starts (TargetCooldown.order).
   */
  early?: EarlyAttempt;
  /**
   * The model named a fallback alias (a list of targets): the target that
   * serves is announced (`run.target`) and recorded on the message and run,
   * even when only one of the list could take the request.
   */
  fallback: boolean;
  /** Skips targets that just failed; consulted only when there is more than one target. */
  cooldown: TargetCooldown;
  request: ChatRequest;
  thinking: ThinkingMode;
  /** Nobody reads the answer before it is whole: the providers may skip streaming (StreamOptions.wholeAnswer). */
  wholeAnswer?: boolean;
  maxRetries: number;
  log: RunEventLog;
  store: Store;
  controller: AbortController;
  /** Observer for metrics and logs; must not throw. */
  observer?: RunObserver;
  /**
   * Called once the outcome is stored, before the terminal event is logged:
   * frees the run's conversation in the directory, so a client that sends its
   * next turn the moment it sees the end never finds the conversation still
   * taken (a shared directory is a network round trip away). Must not throw.
   */
  beforeTerminal?: () => Promise<void>;
}

/** A run as it starts: what its `run.started` event does not carry. */
export interface RunStart {
  id: string;
  /** `X-Request-ID` of the request that started it, when one did. */
  requestId?: string;
  ownerId: string;
  /** HTTP surface that started it (`openai`, `conversations` …). */
  surface: string;
  provider: string;
  model: string;
  /** The upstream request; its messages are prompt text, to be logged only on opt-in. */
  request: ChatRequest;
}

/** Watches runs without taking part in them (metrics, logs). Must not throw. */
export interface RunObserver {
  /** Called once per run, just before its `run.started` event. */
  started?(run: RunStart): void;
  /**
   * Called per event the run logs, except text deltas: of `message.delta` and
   * `reasoning.delta` only the run's first is reported (time to first token),
   * so observing costs nothing per token.
   */
  event(runId: string, payload: RunEventPayload): void;
  storeFailed(runId: string, error: unknown): void;
}

/** Text and usage gathered while streaming; what is stored at the end (run-outcome.ts). */
export interface Accumulated {
  /** The answer's text so far; kept only for a run that stores a message. */
  content: string;
  reasoning: string;
  usage: Usage;
  finishReason: FinishReason | null;
  /** What the provider attached to the finished answer, stored with it for later turns. */
  providerMetadata: ProviderMetadata | undefined;
  /** The target whose answer this is, once its first part arrived. */
  served: ResolvedTarget | undefined;
  /** When the partial answer was last written to the store (ms since epoch). */
  checkpointedAt: number;
  /** The last checkpoint write; the final write waits for it so it cannot be overtaken. */
  checkpoint: Promise<void>;
  /** The run's first text delta was reported to the observer (RunObserver.event). */
  deltaObserved: boolean;
}

const RETRY_BASE_MS = 250;
/**
 * How often a streaming answer's partial text is written to its message row,
 * so a crash keeps what was already streamed (marked `interrupted` by lease
 * recovery). One UPDATE a second per run stays off the per-token path.
 */
const CHECKPOINT_INTERVAL_MS = 1_000;

/**
 * Streams the upstream answer into the log and resolves with the terminal
 * event once the outcome is stored. Never rejects.
 */
export function executeRun(context: RunContext): Promise<TerminalEvent> {
  const accumulated: Accumulated = {
    content: '',
    reasoning: '',
    usage: emptyUsage(),
    finishReason: null,
    providerMetadata: undefined,
    served: undefined,
    checkpointedAt: Date.now(),
    checkpoint: Promise.resolve(),
    deltaObserved: false,
  };
  // A promise chain, not an async function: a suspended one holds its frame for the run's whole life.
  return streamWithFallbacks(context, accumulated).then(
    (failure) => finish(context, accumulated, failure),
    (error: unknown) =>
      finish(context, accumulated, error instanceof ParleyError ? error : new ParleyError('upstream_unavailable', 'The provider stream failed unexpectedly.', { cause: error })),
  );
}

/** How one target's attempts ended: whether it sent a part, and its failure if any. */
interface TargetOutcome {
  received: boolean;
  error?: ParleyError;
}

/**
 * Tries the targets in order until one sends its first part; from then on the
 * run is that target's, and a later failure fails the run (switching would
 * repeat or contradict text already shown). With every target failed, the
 * run fails with the last error, naming the targets tried.
 */
function streamWithFallbacks(context: RunContext, accumulated: Accumulated): Promise<ParleyError | undefined> {
  const { signal } = context.controller;
  const chain = context.targets.length > 1;
  const targets = chain ? context.cooldown.order(context.targets) : context.targets;
  const tried: string[] = [];
  // Recursion through promises rather than a loop in an async function (see executeRun).
  const attempt = (index: number): Promise<ParleyError | undefined> => {
    const target = targets[index]!;
    return streamTarget(context, accumulated, target).then((outcome) => {
      if (!outcome.received && !signal.aborted) {
        outcome.error ??= new ParleyError('upstream_unavailable', 'The provider stream ended without any answer.');
        tried.push(targetName(target));
        if (chain && switchesTarget(outcome.error)) {
          context.cooldown.failed(target);
          if (index + 1 < targets.length) return attempt(index + 1);
        }
      }
      if (signal.aborted) return undefined;
      if (outcome.error !== undefined) return tried.length > 1 ? everyTargetFailed(tried, outcome.error) : outcome.error;
      if (accumulated.finishReason !== null) return undefined;
      return new ParleyError('upstream_unavailable', 'The provider stream ended without finishing the answer.');
    });
  };
  return attempt(0);
}

/** The last target's error, its message prefixed with the targets tried in order. */
function everyTargetFailed(tried: readonly string[], last: ParleyError): ParleyError {
  return new ParleyError(last.code, `Every target failed (${tried.join(', ')}); the last, ${tried.at(-1) ?? ''}: ${last.message}`, {
    cause: last,
    ...(last.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: last.retryAfterSeconds }),
  });
}

/** Streams one target, retrying `upstream_unavailable` before its first part up to `maxRetries` times. */
async function streamTarget(context: RunContext, accumulated: Accumulated, target: ResolvedTarget): Promise<TargetOutcome> {
  const { signal } = context.controller;
  // A copy only for a target whose model differs: the run's request already names the first.
  const request = target.model === context.request.model ? context.request : { ...context.request, model: target.model };
  const options = { signal, wholeAnswer: context.wholeAnswer === true };
  for (let attempt = 0; ; attempt += 1) {
    const taker = new AttemptParts(context, accumulated, target, attempt);
    const thinking = new ThinkingTransform(context.thinking);
    let stop: TargetOutcome | 'retry' | undefined;
    const parts = attempt === 0 && context.early !== undefined ? context.early.take() : target.provider.stream(request, options);
    for await (const providerPart of parts) {
      stop = taker.take(thinking.push(providerPart));
      if (stop !== undefined) break;
      // Backpressure once per provider part; no promise at all while the log has room.
      const room = context.log.room?.(context.id);
      if (room !== undefined && !signal.aborted) await roomInLog(room, signal);
    }
    stop ??= taker.take(thinking.finish());
    if (stop !== undefined && stop !== 'retry') return stop;
    const { received } = taker;
    if (received || signal.aborted || attempt >= context.maxRetries) return { received };
    try {
      await sleep(RETRY_BASE_MS * 2 ** attempt * (0.5 + Math.random()), undefined, { signal });
    } catch {
      return { received };
    }
  }
}

/** Takes the parts of one attempt at a target into the run, synchronously. */
class AttemptParts {
  received = false;
  /**
   * Structured thinking closes with its (empty) metadata even when the provider failed at once:
   * held back until the provider sent something, so such a failure can still be retried or switched.
   */
  private closing: Extract<RunPart, { type: 'answer.metadata' }> | undefined;

  constructor(
    private readonly context: RunContext,
    private readonly accumulated: Accumulated,
    private readonly target: ResolvedTarget,
    private readonly attempt: number,
  ) {}

  /** Applies `parts`; returns how the attempt ends (`retry`: try the target again), or undefined to read on. */
  take(parts: readonly RunPart[]): TargetOutcome | 'retry' | undefined {
    const { context } = this;
    for (let index = 0; index < parts.length; index += 1) {
      const part = parts[index]!;
      if (part.type === 'error') {
        // Retrying is only safe before anything reached the client: after the
        // first part a retry would repeat or contradict text already shown.
        const { signal } = context.controller;
        if (!this.received && part.error.code === 'upstream_unavailable' && this.attempt < context.maxRetries && !signal.aborted) return 'retry';
        return { received: this.received, error: part.error };
      }
      if (!this.received && part.type === 'answer.metadata') {
        this.closing = part;
        continue;
      }
      if (!this.received) served(context, this.accumulated, this.target);
      this.received = true;
      if (this.closing !== undefined) {
        apply(context, this.accumulated, this.closing);
        this.closing = undefined;
      }
      apply(context, this.accumulated, part);
    }
    return undefined;
  }
}

/** The target answered: record it, and tell the views of a fallback run which one it is. */
function served(context: RunContext, accumulated: Accumulated, target: ResolvedTarget): void {
  accumulated.served = target;
  if (!context.fallback) return;
  context.cooldown.succeeded(target);
  emit(context, { type: 'run.target', provider: target.provider.name, model: target.model });
}

function apply(context: RunContext, accumulated: Accumulated, part: Exclude<RunPart, { type: 'error' }>): void {
  // Only a stored message needs the text again: a stateless run would hold a
  // 32-byte string node per delta for the whole answer, for nothing.
  const keepsText = context.messageId !== null;
  switch (part.type) {
    case 'message.delta':
      if (keepsText) accumulated.content += part.text;
      emit(context, part, !accumulated.deltaObserved);
      accumulated.deltaObserved = true;
      checkpoint(context, accumulated);
      return;
    case 'reasoning.delta':
      if (keepsText) accumulated.reasoning += part.text;
      emit(context, part, !accumulated.deltaObserved);
      accumulated.deltaObserved = true;
      checkpoint(context, accumulated);
      return;
    case 'tool_call.delta':
    case 'thinking.step':
    case 'answer.metadata':
      emit(context, part);
      return;
    case 'usage':
      accumulated.usage = part.usage;
      emit(context, part);
      return;
    case 'finish':
      accumulated.finishReason = part.finish_reason;
      accumulated.providerMetadata = part.providerMetadata;
      return;
  }
}

/** Writes the partial answer at most once per {@link CHECKPOINT_INTERVAL_MS}, without blocking the stream. */
function checkpoint(context: RunContext, accumulated: Accumulated): void {
  const now = Date.now();
  if (context.messageId === null || now - accumulated.checkpointedAt < CHECKPOINT_INTERVAL_MS) return;
  accumulated.checkpointedAt = now;
  const { messageId } = context;
  const { content, reasoning } = accumulated;
  accumulated.checkpoint = accumulated.checkpoint
    .then(() => context.store.messages.checkpoint(messageId, content, reasoning))
    .catch((error: unknown) => context.observer?.storeFailed(context.id, error));
}

/** Logs `payload`; reports it to the observer when `observe` (see RunObserver.event). */
function emit(context: RunContext, payload: RunEventPayload, observe = true): void {
  const logged = context.log.append(context.id, payload);
  // Undefined: the run was ended from outside (its lease was taken over); stop it.
  if (logged === undefined) context.controller.abort('interrupted');
  // A terminal event for a non-terminal payload: the log ended the run itself
  // (run_log_full); stop it with that error so its rows say the same as the log.
  else if (isTerminal(logged) && !isTerminal(payload)) context.controller.abort(logEndedError(logged));
  else if (observe) context.observer?.event(context.id, payload);
}

/** The failure a log-ended run is stored with: the error of the log's `run.failed` event. */
function logEndedError(event: TerminalEvent): ParleyError {
  if (event.type !== 'run.failed') return new ParleyError('run_log_full', LOG_FULL_MESSAGE);
  const { code, message } = event.error;
  return new ParleyError(code, message);
}
