/**
 * Run leases and recovery (DESIGN.md "Data"). Every run row names the
 * instance that runs it and a lease that instance renews with a heartbeat
 * while the run streams. Recovery, on every instance, at startup and then
 * periodically, marks `interrupted` only the runs whose lease expired (the
 * instance died or lost the database), plus at startup the runs of this very
 * instance id (its previous process died with them). Live runs of other
 * instances are never touched, so a restart on a shared database cuts nothing.
 *
 * A recovered run ends like any other: its message is stored `interrupted`
 * with the text checkpointed so far, its readers get a terminal
 * `run.cancelled` event (appended to the log on its behalf), and its
 * conversation is freed in the directory.
 */
import { emptyUsage } from '../providers/types.js';
import type { RecoveredRun, Store } from '../store/index.js';
import type { RunDirectory } from './directory.js';
import type { RunEventLog } from './event-log.js';

/** The runs this instance executes, as the leases see them. */
export interface LeaseHolder {
  /** Ids of the runs executing here now. */
  localRunIds(): string[];
  /** Stops runs whose lease another instance took over. */
  interrupt(runIds: readonly string[]): void;
}

/** Dependencies and timing of {@link RunLeases}. */
export interface RunLeaseOptions {
  store: Pick<Store, 'runs' | 'messages'>;
  log: Pick<RunEventLog, 'end'>;
  directory: Pick<RunDirectory, 'renew' | 'unregister'>;
  holder: LeaseHolder;
  /** This instance (PARLEY_INSTANCE_ID). */
  instanceId: string;
  /** How long a run counts as alive without a heartbeat, ms (PARLEY_RUN_LEASE_SECONDS). */
  leaseMs: number;
  /** Reports a failed heartbeat or recovery; both are retried on the next tick. Must not throw. */
  onError?: (error: unknown, during: 'heartbeat' | 'recovery') => void;
  /** Reports runs recovered as `interrupted`. Must not throw. */
  onRecovered?: (runs: readonly RecoveredRun[]) => void;
}

/**
 * Heartbeats per lease: a lease survives two missed heartbeats (a slow query,
 * a long garbage collection) before other instances may recover its runs.
 */
const HEARTBEATS_PER_LEASE = 3;

/** Renews this instance's leases and recovers expired ones. */
export class RunLeases {
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;
  private ticking = false;

  constructor(private readonly options: RunLeaseOptions) {}

  /**
   * Recovers this instance's runs left by its previous process and every
   * expired lease, then starts the heartbeat (every lease / 3) and periodic
   * recovery (every lease). Resolves with the runs recovered at startup.
   */
  async start(): Promise<RecoveredRun[]> {
    const recovered = await this.recover(this.options.instanceId);
    this.timer = setInterval(() => void this.tick(), Math.max(1, Math.floor(this.options.leaseMs / HEARTBEATS_PER_LEASE)));
    this.timer.unref();
    return recovered;
  }

  /** Stops the timers; leases of runs still running then expire on their own. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    // A tick that overran (a stalled database) is not stacked on.
    if (this.ticking) return;
    this.ticking = true;
    try {
      // Renew before recovering: after a stall, this instance's own live runs
      // get their leases back before its own sweep could take them.
      await this.heartbeat().catch((error: unknown) => this.options.onError?.(error, 'heartbeat'));
      this.ticks += 1;
      if (this.ticks % HEARTBEATS_PER_LEASE === 0) await this.recover().catch((error: unknown) => this.options.onError?.(error, 'recovery'));
    } finally {
      this.ticking = false;
    }
  }

  /** Renews the leases of the runs executing here; stops those another instance recovered meanwhile. */
  async heartbeat(): Promise<void> {
    const { store, directory, holder, instanceId, leaseMs } = this.options;
    const running = holder.localRunIds();
    if (running.length === 0) return;
    const renewed = new Set(await store.runs.renew(instanceId, running, leaseMs));
    await directory.renew([...renewed], leaseMs);
    // A run started during the query is not in `running`; one that ended is not renewed and not running either.
    const current = new Set(holder.localRunIds());
    holder.interrupt(running.filter((runId) => !renewed.has(runId) && current.has(runId)));
  }

  /**
   * One recovery pass: marks `interrupted` the streaming runs whose lease
   * expired (and, with `ownInstance`, every streaming run of that instance),
   * their messages, and ends them in the log and the directory.
   */
  async recover(ownInstance?: string): Promise<RecoveredRun[]> {
    const { store, log, directory } = this.options;
    const recovered = await store.runs.recover(ownInstance === undefined ? {} : { ownInstance });
    // Also run when nothing was recovered at startup: it catches messages a crash left without a run row.
    if (recovered.length > 0 || ownInstance !== undefined) await store.messages.markOrphansInterrupted();
    for (const run of recovered) {
      await log.end(run.id, { type: 'run.cancelled', message_id: run.message_id, usage: emptyUsage() });
      await directory.unregister(run.id);
    }
    if (recovered.length > 0) this.options.onRecovered?.(recovered);
    return recovered;
  }
}
