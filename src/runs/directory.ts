/**
 * The run directory: which runs are running, on which instance, and which
 * conversation each one writes; conversation claims; and cancel requests
 * delivered to the instance that runs a run. {@link RunDirectory} is the seam
 * a Redis directory plugs into (claims as `SET NX PX` keys, registrations as
 * keys renewed with the run's lease, cancel requests as messages on the
 * owning instance's channel); {@link MemoryRunDirectory} is the embedded one,
 * which sees the runs of this process only.
 */
import { ParleyError } from '../errors.js';

/** Why a run is stopped from outside. */
export type StopReason = 'cancelled' | 'interrupted';

/** A running run as the directory knows it. */
export interface ActiveRun {
  runId: string;
  /** Tenant that owns the run; a cancel from another tenant is refused. */
  ownerId: string;
  /** Conversation the run writes; null for stateless runs. */
  conversationId: string | null;
  /** Instance running it (PARLEY_INSTANCE_ID). */
  instanceId: string;
}

/** A conversation reserved for one new answer. */
export interface ConversationClaim {
  readonly conversationId: string;
  /** Frees the conversation unless a run registered for it meanwhile. Idempotent. */
  release(): Promise<void>;
}

/** Receives the cancel requests addressed to one instance. Must not throw. */
export type CancelHandler = (runId: string, reason: StopReason) => void;

/** Where runs are found, conversations claimed and cancel requests sent. */
export interface RunDirectory {
  /**
   * Reserves a conversation for one new answer until the claim is released,
   * a run registers for the conversation, or `ttlMs` passes (so a claimer
   * that died cannot block the conversation for good).
   * @throws ParleyError `conflict` while the conversation is claimed or has a running run.
   */
  claim(conversationId: string, ttlMs: number): Promise<ConversationClaim>;
  /**
   * Records a run as running, and as its conversation's running run (this
   * replaces the conversation's claim). Expires after `leaseMs` unless renewed.
   */
  register(run: ActiveRun, leaseMs: number): Promise<void>;
  /** Extends the registrations of runs still running, by `leaseMs` from now. */
  renew(runIds: readonly string[], leaseMs: number): Promise<void>;
  /** Forgets a run that ended and frees its conversation. */
  unregister(runId: string): Promise<void>;
  /** A running run, by id. */
  find(runId: string): Promise<ActiveRun | undefined>;
  /** The run writing into a conversation now, if any. */
  activeRun(conversationId: string): Promise<ActiveRun | undefined>;
  /**
   * Asks the instance running `runId` to stop it. Resolves true when the
   * request reached that instance, false when no instance runs it.
   */
  requestCancel(runId: string, reason: StopReason): Promise<boolean>;
  /** Subscribes `handler` to the cancel requests for runs of `instanceId`; returns the unsubscribe. */
  onCancel(instanceId: string, handler: CancelHandler): () => void;
}

/** The refusal of a second answer in one conversation. */
export function conversationBusy(): ParleyError {
  return new ParleyError('conflict', 'An answer is still streaming in this conversation; wait for it, resume it with Last-Event-ID, or cancel it.');
}

type Slot = { kind: 'claim'; token: symbol; expiresAt: number } | { kind: 'run'; runId: string };

/** The directory of one process: maps in memory, expiry checked when read. */
export class MemoryRunDirectory implements RunDirectory {
  private readonly conversations = new Map<string, Slot>();
  private readonly runs = new Map<string, { run: ActiveRun; expiresAt: number }>();
  private readonly handlers = new Map<string, CancelHandler>();

  /** @param now clock, ms since the epoch; tests replace it. */
  constructor(private readonly now: () => number = Date.now) {}

  claim(conversationId: string, ttlMs: number): Promise<ConversationClaim> {
    // Checked and set without an await in between: two requests racing
    // through their own awaits cannot both get the conversation.
    if (this.occupied(conversationId)) return Promise.reject(conversationBusy());
    const token = Symbol(conversationId);
    this.conversations.set(conversationId, { kind: 'claim', token, expiresAt: this.now() + ttlMs });
    return Promise.resolve({
      conversationId,
      release: () => {
        const slot = this.conversations.get(conversationId);
        if (slot?.kind === 'claim' && slot.token === token) this.conversations.delete(conversationId);
        return Promise.resolve();
      },
    });
  }

  private occupied(conversationId: string): boolean {
    const slot = this.conversations.get(conversationId);
    if (slot === undefined) return false;
    if (slot.kind === 'claim') return slot.expiresAt > this.now();
    return this.live(slot.runId) !== undefined;
  }

  private live(runId: string): ActiveRun | undefined {
    const entry = this.runs.get(runId);
    return entry !== undefined && entry.expiresAt > this.now() ? entry.run : undefined;
  }

  register(run: ActiveRun, leaseMs: number): Promise<void> {
    this.runs.set(run.runId, { run, expiresAt: this.now() + leaseMs });
    if (run.conversationId !== null) this.conversations.set(run.conversationId, { kind: 'run', runId: run.runId });
    return Promise.resolve();
  }

  renew(runIds: readonly string[], leaseMs: number): Promise<void> {
    const expiresAt = this.now() + leaseMs;
    for (const runId of runIds) {
      const entry = this.runs.get(runId);
      if (entry !== undefined) entry.expiresAt = expiresAt;
    }
    return Promise.resolve();
  }

  unregister(runId: string): Promise<void> {
    const entry = this.runs.get(runId);
    this.runs.delete(runId);
    const conversationId = entry?.run.conversationId;
    if (conversationId !== undefined && conversationId !== null) {
      const slot = this.conversations.get(conversationId);
      if (slot?.kind === 'run' && slot.runId === runId) this.conversations.delete(conversationId);
    }
    return Promise.resolve();
  }

  find(runId: string): Promise<ActiveRun | undefined> {
    return Promise.resolve(this.live(runId));
  }

  activeRun(conversationId: string): Promise<ActiveRun | undefined> {
    const slot = this.conversations.get(conversationId);
    return Promise.resolve(slot?.kind === 'run' ? this.live(slot.runId) : undefined);
  }

  requestCancel(runId: string, reason: StopReason): Promise<boolean> {
    const run = this.live(runId);
    const handler = run === undefined ? undefined : this.handlers.get(run.instanceId);
    handler?.(runId, reason);
    return Promise.resolve(handler !== undefined);
  }

  onCancel(instanceId: string, handler: CancelHandler): () => void {
    this.handlers.set(instanceId, handler);
    return () => {
      if (this.handlers.get(instanceId) === handler) this.handlers.delete(instanceId);
    };
  }
}
