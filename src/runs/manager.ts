/**
 * Starts, cancels and drains the runs this instance executes. Every run is
 * registered in the run directory (so any instance can find it, refuse a
 * second answer in its conversation, or ask for it to be cancelled) and
 * carries a lease on its row (renewed by src/runs/leases.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { v7 as uuidv7 } from 'uuid';
import { ParleyError } from '../errors.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ChatMessage, ChatRequest } from '../providers/types.js';
import type { Store } from '../store/index.js';
import type { ContentFilter } from './content-filter.js';
import type { ActiveRun, ConversationClaim, RunDirectory, StopReason } from './directory.js';
import type { RunEventLog } from './event-log.js';
import { isTerminal, type TerminalEvent } from './events.js';
import { cachingProvider, type ResponseCache } from './response-cache.js';
import { checkAttachmentLimits, refusedPart, type AttachmentLimits } from './attachments.js';
import { EarlyAttempt } from './early-attempt.js';
import { TargetCooldown } from './fallback.js';
import { executeRun, type RunObserver } from './run.js';
import type { ThinkingMode } from './thinking/index.js';

/** What to generate, and for whom. */
export interface RunSpec {
  /** Tenant that owns the run (and the conversation, if any). */
  ownerId: string;
  /** HTTP surface that starts it, for records and metrics. */
  surface: string;
  /** The upstream request; `model` may be `provider:`-prefixed or empty for the default. */
  request: Omit<ChatRequest, 'model'> & { model?: string | null };
  /** Conversation whose assistant message the run writes; none for stateless `/v1` calls. */
  conversationId?: string;
  /** Regenerate: the new answer becomes a sibling branch under this message. */
  parentMessageId?: string;
  /** `X-Request-ID` of the HTTP request that started the run, for its log lines. */
  requestId?: string;
  /** How thinking steps are derived; default `auto`. Structured needs its prompt in `request` (ChatService adds it). */
  thinking?: ThinkingMode;
  /**
   * Serve an identical earlier answer from the response cache, and cache this
   * one (see response-cache.ts). Only surfaces whose seed promises cached
   * answers set it (seed 002); the others promise a fresh generation.
   */
  cache?: boolean;
  /** How errors name message `index`'s content parts; default `messages.${index}.content`. */
  partParam?: (index: number) => string;
  /**
   * The caller waits for the whole answer and reads none of it as it streams
   * (a stateless `/v1` call with `stream: false`): passed to the providers as
   * StreamOptions.wholeAnswer. The run, its events and its records are the same.
   */
  wholeAnswer?: boolean;
}

/** A started run. */
export interface RunHandle {
  id: string;
  conversationId: string | null;
  messageId: string | null;
  provider: string;
  /** The model as the client named it (an alias stays the alias); the run row holds the provider's id. */
  model: string;
  /** Resolves with the terminal event once the outcome is stored. */
  done: Promise<TerminalEvent>;
}

interface LocalRun {
  handle: RunHandle;
  ownerId: string;
  controller: AbortController;
}

/** Dependencies of the manager. */
export interface RunManagerOptions {
  store: Store;
  registry: ProviderRegistry;
  log: RunEventLog;
  directory: RunDirectory;
  /** This instance (PARLEY_INSTANCE_ID), recorded on every run it executes. */
  instanceId: string;
  /** Lease of a run without a heartbeat, ms (PARLEY_RUN_LEASE_SECONDS). */
  leaseMs: number;
  maxRetries: number;
  /** How long a fallback target that failed before its first byte is skipped, ms (PARLEY_FALLBACK_COOLDOWN_SECONDS). */
  fallbackCooldownMs: number;
  /** Limits on images and files in messages. */
  attachments: AttachmentLimits;
  observer?: RunObserver;
  /** Cache of runs with `RunSpec.cache`; without it they always go upstream. */
  responseCache?: ResponseCache;
  /** Screens the messages of stateless runs (conversation runs were screened when stored). */
  contentFilter?: ContentFilter;
}

/** After the grace period, how long interrupted runs get to store their rows, ms. */
const INTERRUPT_WAIT_MS = 5_000;
/**
 * How long a conversation claim lasts without a run, ms: it covers storing the
 * user's message, the content filter (a moderation call has its own shorter
 * timeout) and the run's start. A claimer that died frees it after this.
 */
const CLAIM_TTL_MS = 60_000;

/** Executes runs on this instance. */
export class RunManager {
  private readonly local = new Map<string, LocalRun>();
  private accepting = true;
  /** Starts whose rows are being written; drain() waits for them too. */
  private readonly starting = new Set<Promise<RunHandle>>();
  /** Past the shutdown grace: runs that still get registered are stopped at once. */
  private interrupting = false;
  private readonly unsubscribe: () => void;
  private readonly cooldown: TargetCooldown;

  constructor(private readonly options: RunManagerOptions) {
    this.cooldown = new TargetCooldown(options.fallbackCooldownMs);
    // Cancel requests for runs of this instance, from whichever instance took them.
    this.unsubscribe = options.directory.onCancel(options.instanceId, (runId, reason) => this.local.get(runId)?.controller.abort(reason));
  }

  /** Number of runs this instance executes now. */
  get activeCount(): number {
    return this.local.size;
  }

  /** Whether {@link drain} was called: new runs are refused. */
  get draining(): boolean {
    return !this.accepting;
  }

  /** Ids of the runs this instance executes now (their leases are renewed). */
  localRunIds(): string[] {
    return [...this.local.keys()];
  }

  /**
   * Starts a run: resolves the model, records the `streaming` run (and its
   * message) with this instance's lease, registers it in the directory, logs
   * `run.started`, and streams in the background.
   * @throws ParleyError `shutting_down` while draining; `validation_failed` for a bad model spec;
   *   `content_filtered` / `moderation_unavailable` from the content filter.
   */
  async start(spec: RunSpec): Promise<RunHandle> {
    if (!this.accepting) throw new ParleyError('shutting_down', 'The server is shutting down; retry shortly.');
    const starting = this.begin(spec);
    this.starting.add(starting);
    try {
      return await starting;
    } finally {
      this.starting.delete(starting);
    }
  }

  private async begin(spec: RunSpec): Promise<RunHandle> {
    // Every message of a stateless request is client text; a conversation's were screened by ChatService.addUserMessage.
    if (spec.conversationId === undefined) await this.options.contentFilter?.check(spec.request.messages.map((message) => message.content ?? ''), 'messages');
    const { resolved, able } = this.targetsFor(spec.request.model, spec.request.messages, spec.partParam);
    const { model } = able[0] ?? resolved;
    // An alias is what the client sees (stored message, handle); the run row and log record the target.
    const shownModel = resolved.alias ?? model;
    const { responseCache, store, log, directory, instanceId, leaseMs } = this.options;
    // Scoped by tenant: one key's cached answers are never served to another.
    const targets =
      spec.cache === true && responseCache !== undefined
        ? able.map((target) => ({ ...target, provider: cachingProvider(target.provider, responseCache, spec.ownerId) }))
        : able;
    const provider = targets[0]?.provider ?? resolved.provider;
    const id = uuidv7();
    const thinking = spec.thinking ?? 'auto';
    const conversationId = spec.conversationId ?? null;
    const controller = new AbortController();
    // One copy with the resolved model, shared by the observer and the run (the run holds it to its end).
    const request: ChatRequest = { ...spec.request, model };
    // The upstream call goes out now and its first byte is awaited while the rows below are
    // written; the run reads it once started (a fallback list decides its first target then).
    const early =
      targets.length === 1 && !this.interrupting
        ? new EarlyAttempt(targets[0]!.provider.stream(request, { signal: controller.signal, wholeAnswer: spec.wholeAnswer === true }))
        : undefined;
    // The row and the registration at once: with a shared database and directory that is one
    // round trip before the first token instead of two. A registration whose row failed is undone.
    const [begun, registered] = await Promise.allSettled([
      store.beginRun(
        { id, owner_id: spec.ownerId, conversation_id: conversationId, surface: spec.surface, provider: provider.name, model, instance_id: instanceId, thinking, leaseMs },
        spec.conversationId === undefined ? undefined : { conversationId: spec.conversationId, model: shownModel, parentId: spec.parentMessageId },
      ),
      directory.register({ runId: id, ownerId: spec.ownerId, conversationId, instanceId }, leaseMs),
    ]);
    if (begun.status === 'rejected' || registered.status === 'rejected') {
      controller.abort('not started');
      early?.cancel();
      if (registered.status === 'fulfilled') await directory.unregister(id).catch(() => undefined);
      throw begun.status === 'rejected' ? begun.reason : (registered as PromiseRejectedResult).reason;
    }
    const messageId = begun.value?.id ?? null;
    const started = { type: 'run.started' as const, run_id: id, conversation_id: conversationId, message_id: messageId, model, provider: provider.name };
    this.options.observer?.started?.({ id, requestId: spec.requestId, ownerId: spec.ownerId, surface: spec.surface, provider: provider.name, model, request });
    log.append(id, started);
    this.options.observer?.event(id, started);
    if (this.interrupting) controller.abort('interrupted');
    let unregistered = false;
    const unregister = async () => {
      unregistered = true;
      await directory.unregister(id).catch((error: unknown) => this.options.observer?.storeFailed(id, error));
    };
    const done = executeRun({
      id,
      ownerId: spec.ownerId,
      conversationId,
      messageId,
      targets,
      early,
      fallback: resolved.targets.length > 1,
      cooldown: this.cooldown,
      request,
      thinking,
      wholeAnswer: spec.wholeAnswer === true,
      maxRetries: this.options.maxRetries,
      log,
      store,
      controller,
      observer: this.options.observer,
      beforeTerminal: unregister,
    }).finally(() => {
      this.local.delete(id);
      // Normally done before the terminal event already; this covers a run that threw.
      if (!unregistered) void unregister();
    });
    // Registered before `done` can settle: its `finally` runs a microtask later at the earliest.
    const handle: RunHandle = { id, conversationId, messageId, provider: provider.name, model: shownModel, done };
    this.local.set(id, { handle, ownerId: spec.ownerId, controller });
    return handle;
  }

  /** A run this instance executes for `ownerId`, if any. */
  get(ownerId: string, runId: string): RunHandle | undefined {
    const run = this.local.get(runId);
    return run !== undefined && run.ownerId === ownerId ? run.handle : undefined;
  }

  /**
   * Reserves a conversation for one new answer; release the claim once the
   * run is started (or failed to start).
   * @throws ParleyError `conflict` while the conversation is claimed or answering, on any instance.
   */
  claimConversation(conversationId: string): Promise<ConversationClaim> {
    return this.options.directory.claim(conversationId, CLAIM_TTL_MS);
  }

  /** The run writing into a conversation now, on any instance. */
  activeRun(conversationId: string): Promise<ActiveRun | undefined> {
    return this.options.directory.activeRun(conversationId);
  }

  /**
   * Checks a requested model spec, and the attachments of `messages` against
   * the limits and what its providers take, without starting anything, so a
   * turn can be refused before its message is stored.
   * @throws ParleyError `validation_failed` for a malformed `provider:` spec or
   *   an attachment no target takes; `payload_too_large` for one over the limits.
   */
  checkModel(requested: string | null | undefined, messages: readonly ChatMessage[] = [], partParam?: (index: number) => string): void {
    this.targetsFor(requested, messages, partParam);
  }

  /**
   * Resolves the model and keeps the targets that take the messages' attachments:
   * a fallback target that cannot is left out; with none left the first's refusal is the answer.
   */
  private targetsFor(requested: string | null | undefined, messages: readonly ChatMessage[], partParam = (index: number) => `messages.${index}.content`) {
    const resolved = this.options.registry.resolve(requested);
    checkAttachmentLimits(messages, this.options.attachments, partParam);
    const able = resolved.targets.filter((target) => refusedPart(messages, target.provider.inputs, target.provider.name, partParam) === undefined);
    if (able.length === 0) {
      const refusal = refusedPart(messages, resolved.provider.inputs, `provider "${resolved.provider.name}" (model ${resolved.model})`, partParam);
      throw refusal ?? new ParleyError('validation_failed', 'No provider takes these attachments.');
    }
    return { resolved, able };
  }

  /** The model an unspecified request gets (the configured default). */
  defaultModel(): string {
    return this.options.registry.resolve().model;
  }

  /**
   * Stops a run wherever it runs: aborts its upstream request; the partial
   * answer is stored as `cancelled` (or `interrupted` on shutdown). Resolves
   * with the terminal event once the outcome is stored, or undefined when the
   * owner has no such running run.
   */
  async cancel(ownerId: string, runId: string, reason: StopReason = 'cancelled'): Promise<TerminalEvent | undefined> {
    const local = this.local.get(runId);
    if (local !== undefined) {
      if (local.ownerId !== ownerId) return undefined;
      local.controller.abort(reason);
      return local.handle.done;
    }
    const remote = await this.options.directory.find(runId);
    if (remote === undefined || remote.ownerId !== ownerId) return undefined;
    if (!(await this.options.directory.requestCancel(runId, reason))) return undefined;
    for await (const batch of this.options.log.read(runId, 0)) {
      const last = batch.at(-1);
      if (last !== undefined && isTerminal(last)) return last;
    }
    return undefined;
  }

  /** Stops runs of this instance whose lease another instance took over (they were recovered as `interrupted`). */
  interrupt(runIds: readonly string[]): void {
    for (const runId of runIds) this.local.get(runId)?.controller.abort('interrupted');
  }

  /**
   * Graceful shutdown: refuses new runs, lets running ones (and starts already
   * past the `accepting` check) finish for up to `graceMs`, then stops the rest
   * as `interrupted` and waits up to {@link INTERRUPT_WAIT_MS} for their rows.
   * Resolves with whether every run ended with its row stored; a run whose
   * provider ignores the abort stays `streaming` until lease recovery marks it.
   */
  async drain(graceMs: number): Promise<boolean> {
    this.accepting = false;
    if (await this.settled(graceMs)) return this.stopListening(true);
    this.interrupting = true;
    for (const run of this.local.values()) run.controller.abort('interrupted');
    return this.stopListening(await this.settled(INTERRUPT_WAIT_MS));
  }

  private stopListening(settled: boolean): boolean {
    this.unsubscribe();
    return settled;
  }

  /** Waits until no run is starting or active, or `timeoutMs` passed; whether none is left. */
  private async settled(timeoutMs: number): Promise<boolean> {
    // An abortable timer: once the runs are done it must not keep the process alive.
    const timer = new AbortController();
    const deadline = sleep(timeoutMs, false, { signal: timer.signal }).catch(() => false);
    try {
      while (this.starting.size > 0 || this.local.size > 0) {
        const pending = [...this.starting, ...[...this.local.values()].map((run) => run.handle.done)];
        if (!(await Promise.race([Promise.allSettled(pending).then(() => true), deadline]))) return false;
      }
      return true;
    } finally {
      timer.abort();
    }
  }
}
