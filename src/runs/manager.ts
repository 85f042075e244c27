/**
 * Starts, tracks, cancels and drains runs. The one entry point every HTTP
 * surface uses to generate an answer.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { v7 as uuidv7 } from 'uuid';
import { ParleyError } from '../errors.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ChatRequest } from '../providers/types.js';
import type { Store } from '../store/index.js';
import type { ContentFilter } from './content-filter.js';
import type { RunEventLog } from './event-log.js';
import { cachingProvider, type ResponseCache } from './response-cache.js';
import type { TerminalEvent } from './events.js';
import { executeRun, type RunObserver, type StopReason } from './run.js';
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

interface ActiveRun {
  handle: RunHandle;
  ownerId: string;
  controller: AbortController;
}

/** Dependencies of the manager. */
export interface RunManagerOptions {
  store: Store;
  registry: ProviderRegistry;
  log: RunEventLog;
  maxRetries: number;
  observer?: RunObserver;
  /** Cache of runs with `RunSpec.cache`; without it they always go upstream. */
  responseCache?: ResponseCache;
  /** Screens the messages of stateless runs (conversation runs were screened when stored). */
  contentFilter?: ContentFilter;
}

/** After the grace period, how long interrupted runs get to store their rows, ms. */
const INTERRUPT_WAIT_MS = 5_000;

/** Tracks the runs of this process. */
export class RunManager {
  private readonly active = new Map<string, ActiveRun>();
  /** Conversations reserved by a turn that is still starting its run. */
  private readonly claimed = new Set<string>();
  private accepting = true;
  /** Starts whose rows are being written; drain() waits for them too. */
  private readonly starting = new Set<Promise<RunHandle>>();
  /** Past the shutdown grace: runs that still get registered are stopped at once. */
  private interrupting = false;

  constructor(private readonly options: RunManagerOptions) {}

  /** The shared run event log. */
  get log(): RunEventLog {
    return this.options.log;
  }

  /** Number of runs streaming now. */
  get activeCount(): number {
    return this.active.size;
  }

  /** Whether {@link drain} was called: new runs are refused. */
  get draining(): boolean {
    return !this.accepting;
  }

  /**
   * Starts a run: resolves the model, records the `streaming` message and run,
   * logs `run.started`, and streams in the background.
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
    const resolved = this.options.registry.resolve(spec.request.model);
    const { model } = resolved;
    // An alias is what the client sees (stored message, handle); the run row and log record the target.
    const shownModel = resolved.alias ?? model;
    const { responseCache } = this.options;
    // Scoped by tenant: one key's cached answers are never served to another.
    const provider = spec.cache === true && responseCache !== undefined ? cachingProvider(resolved.provider, responseCache, spec.ownerId) : resolved.provider;
    const id = uuidv7();
    const { store, log } = this.options;
    let messageId: string | null = null;
    if (spec.conversationId !== undefined) {
      const message = await store.messages.createAssistant(spec.conversationId, shownModel, id, spec.parentMessageId);
      messageId = message.id;
    }
    await store.runs.create({
      id,
      owner_id: spec.ownerId,
      conversation_id: spec.conversationId ?? null,
      message_id: messageId,
      surface: spec.surface,
      provider: provider.name,
      model,
    });
    const controller = new AbortController();
    const started = {
      type: 'run.started' as const,
      run_id: id,
      conversation_id: spec.conversationId ?? null,
      message_id: messageId,
      model,
      provider: provider.name,
    };
    this.options.observer?.started?.({ id, requestId: spec.requestId, ownerId: spec.ownerId, surface: spec.surface, provider: provider.name, model, request: { ...spec.request, model } });
    log.append(id, started);
    this.options.observer?.event(id, started);
    const handle: RunHandle = {
      id,
      conversationId: spec.conversationId ?? null,
      messageId,
      provider: provider.name,
      model: shownModel,
      done: Promise.resolve() as unknown as Promise<TerminalEvent>,
    };
    this.active.set(id, { handle, ownerId: spec.ownerId, controller });
    if (this.interrupting) controller.abort('interrupted');
    handle.done = executeRun({
      id,
      ownerId: spec.ownerId,
      conversationId: spec.conversationId ?? null,
      messageId,
      provider,
      request: { ...spec.request, model },
      thinking: spec.thinking ?? 'auto',
      maxRetries: this.options.maxRetries,
      log,
      store,
      controller,
      observer: this.options.observer,
    }).finally(() => this.active.delete(id));
    return handle;
  }

  /** The owner's running run, if any. */
  get(ownerId: string, runId: string): RunHandle | undefined {
    const run = this.active.get(runId);
    return run !== undefined && run.ownerId === ownerId ? run.handle : undefined;
  }

  /**
   * Reserves a conversation for one new answer, synchronously, so that two
   * requests racing through their awaits cannot both start one. Returns the
   * release function; call it once the run is started (or failed to start).
   * @throws ParleyError `conflict` while the conversation is reserved or answering.
   */
  claimConversation(conversationId: string): () => void {
    if (this.claimed.has(conversationId) || this.activeForConversation(conversationId) !== undefined) {
      throw new ParleyError('conflict', 'An answer is still streaming in this conversation; wait for it, resume it with Last-Event-ID, or cancel it.');
    }
    this.claimed.add(conversationId);
    return () => this.claimed.delete(conversationId);
  }

  /**
   * Checks a requested model spec without starting anything, so a turn can be
   * refused before its message is stored.
   * @throws ParleyError `validation_failed` for a malformed `provider:` spec.
   */
  checkModel(requested: string | null | undefined): void {
    this.options.registry.resolve(requested);
  }

  /** The running run writing into a conversation, if any. */
  activeForConversation(conversationId: string): RunHandle | undefined {
    for (const run of this.active.values()) if (run.handle.conversationId === conversationId) return run.handle;
    return undefined;
  }

  /**
   * Stops a run: aborts the upstream request; the partial answer is stored as
   * `cancelled` (or `interrupted` on shutdown). Returns the terminal event, or
   * undefined when the owner has no such running run.
   */
  async cancel(ownerId: string, runId: string, reason: StopReason = 'cancelled'): Promise<TerminalEvent | undefined> {
    const run = this.active.get(runId);
    if (run === undefined || run.ownerId !== ownerId) return undefined;
    run.controller.abort(reason);
    return run.handle.done;
  }

  /**
   * Graceful shutdown: refuses new runs, lets running ones (and starts already
   * past the `accepting` check) finish for up to `graceMs`, then stops the rest
   * as `interrupted` and waits up to {@link INTERRUPT_WAIT_MS} for their rows.
   * Resolves with whether every run ended with its row stored; a run whose
   * provider ignores the abort stays `streaming` until the next start marks it.
   */
  async drain(graceMs: number): Promise<boolean> {
    this.accepting = false;
    if (await this.settled(graceMs)) return true;
    this.interrupting = true;
    for (const run of this.active.values()) run.controller.abort('interrupted');
    return this.settled(INTERRUPT_WAIT_MS);
  }

  /** Waits until no run is starting or active, or `timeoutMs` passed; whether none is left. */
  private async settled(timeoutMs: number): Promise<boolean> {
    // An abortable timer: once the runs are done it must not keep the process alive.
    const timer = new AbortController();
    const deadline = sleep(timeoutMs, false, { signal: timer.signal }).catch(() => false);
    try {
      while (this.starting.size > 0 || this.active.size > 0) {
        const pending = [...this.starting, ...[...this.active.values()].map((run) => run.handle.done)];
        if (!(await Promise.race([Promise.allSettled(pending).then(() => true), deadline]))) return false;
      }
      return true;
    } finally {
      timer.abort();
    }
  }
}
