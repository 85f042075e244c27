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
import type { RunEventLog } from './event-log.js';
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
  /** How thinking steps are derived; default `auto`. Structured needs its prompt in `request` (ChatService adds it). */
  thinking?: ThinkingMode;
}

/** A started run. */
export interface RunHandle {
  id: string;
  conversationId: string | null;
  messageId: string | null;
  provider: string;
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
}

/** Tracks the runs of this process. */
export class RunManager {
  private readonly active = new Map<string, ActiveRun>();
  private accepting = true;

  constructor(private readonly options: RunManagerOptions) {}

  /** The shared run event log. */
  get log(): RunEventLog {
    return this.options.log;
  }

  /** Number of runs streaming now. */
  get activeCount(): number {
    return this.active.size;
  }

  /**
   * Starts a run: resolves the model, records the `streaming` message and run,
   * logs `run.started`, and streams in the background.
   * @throws ParleyError `shutting_down` while draining; `validation_failed` for a bad model spec.
   */
  async start(spec: RunSpec): Promise<RunHandle> {
    if (!this.accepting) throw new ParleyError('shutting_down', 'The server is shutting down; retry shortly.');
    const { provider, model } = this.options.registry.resolve(spec.request.model);
    const id = uuidv7();
    const { store, log } = this.options;
    let messageId: string | null = null;
    if (spec.conversationId !== undefined) {
      const message = await store.messages.createAssistant(spec.conversationId, model, id, spec.parentMessageId);
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
    log.append(id, started);
    this.options.observer?.event(id, started);
    const handle: RunHandle = {
      id,
      conversationId: spec.conversationId ?? null,
      messageId,
      provider: provider.name,
      model,
      done: Promise.resolve() as unknown as Promise<TerminalEvent>,
    };
    this.active.set(id, { handle, ownerId: spec.ownerId, controller });
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
   * Graceful shutdown: refuses new runs, lets running ones finish for up to
   * `graceMs`, then stops the rest as `interrupted` and waits for their rows.
   */
  async drain(graceMs: number): Promise<void> {
    this.accepting = false;
    const pending = () => [...this.active.values()].map((run) => run.handle.done);
    const deadline = sleep(graceMs).then(() => 'timeout' as const);
    if ((await Promise.race([Promise.allSettled(pending()), deadline])) === 'timeout') {
      for (const run of this.active.values()) run.controller.abort('interrupted');
      await Promise.allSettled(pending());
    }
  }
}
