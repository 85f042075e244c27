/**
 * The run directory in Redis, shared by every instance (REDIS_URL).
 *
 * - `parley:run:<runId>`: the running run (JSON {@link ActiveRun}), `PX` the
 *   run's lease, renewed with it; gone when the run ends or its instance dies.
 * - `parley:conversation:<id>`: `claim:<token>` (`SET NX PX`, so two
 *   instances racing for one conversation cannot both get it, and a claimer
 *   that died frees it after the claim's TTL) or `run:<runId>` once the run
 *   registered, with the run's lease.
 * - cancel requests: a message on `parley:cancel:<instanceId>`, the channel
 *   of the instance running the run, which aborts it.
 */
import { randomUUID } from 'node:crypto';
import type { Redis, Result } from 'ioredis';
import { conversationBusy, type ActiveRun, type CancelHandler, type ConversationClaim, type RunDirectory, type StopReason } from '../runs/directory.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** Deletes `key` if it holds `value`; 1 deleted, 0 not. */
    parleyDeleteIf(key: string, value: string): Result<number, Context>;
    /** Forgets a run and frees its conversation if the run holds it. */
    parleyUnregister(runKey: string, runId: string, conversationPrefix: string): Result<number, Context>;
  }
}

const DELETE_IF_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const UNREGISTER_SCRIPT = `
local run = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1])
if not run then return 0 end
local conversation = cjson.decode(run)['conversationId']
if type(conversation) == 'string' then
  local key = ARGV[2] .. conversation
  if redis.call('GET', key) == 'run:' .. ARGV[1] then redis.call('DEL', key) end
end
return 1
`;

const RUN_PREFIX = 'parley:run:';
const CONVERSATION_PREFIX = 'parley:conversation:';
const CANCEL_PREFIX = 'parley:cancel:';

interface CancelMessage {
  runId: string;
  reason: StopReason;
}

/** {@link RunDirectory} in Redis; see the module comment. */
export class RedisRunDirectory implements RunDirectory {
  /** Conversations of the runs this instance registered, for renewing both keys in one pipeline. */
  private readonly conversations = new Map<string, string | null>();
  private subscriber: Redis | undefined;
  private readonly handlers = new Map<string, CancelHandler>();

  /**
   * @param redis the shared command connection.
   * @param onError reports a cancel message that could not be read. Must not throw.
   */
  constructor(
    private readonly redis: Redis,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    redis.defineCommand('parleyDeleteIf', { numberOfKeys: 1, lua: DELETE_IF_SCRIPT });
    redis.defineCommand('parleyUnregister', { numberOfKeys: 1, lua: UNREGISTER_SCRIPT });
  }

  async claim(conversationId: string, ttlMs: number): Promise<ConversationClaim> {
    const key = CONVERSATION_PREFIX + conversationId;
    const value = `claim:${randomUUID()}`;
    if ((await this.redis.set(key, value, 'PX', ttlMs, 'NX')) === null) throw conversationBusy();
    let released = false;
    return {
      conversationId,
      release: async () => {
        if (released) return;
        released = true;
        // Only our own claim: a run that registered meanwhile replaced it.
        await this.redis.parleyDeleteIf(key, value);
      },
    };
  }

  async register(run: ActiveRun, leaseMs: number): Promise<void> {
    this.conversations.set(run.runId, run.conversationId);
    const transaction = this.redis.multi().set(RUN_PREFIX + run.runId, JSON.stringify(run), 'PX', leaseMs);
    if (run.conversationId !== null) transaction.set(CONVERSATION_PREFIX + run.conversationId, `run:${run.runId}`, 'PX', leaseMs);
    await transaction.exec();
  }

  async renew(runIds: readonly string[], leaseMs: number): Promise<void> {
    if (runIds.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const runId of runIds) {
      pipeline.pexpire(RUN_PREFIX + runId, leaseMs);
      const conversationId = this.conversations.get(runId);
      if (conversationId !== undefined && conversationId !== null) pipeline.pexpire(CONVERSATION_PREFIX + conversationId, leaseMs);
    }
    await pipeline.exec();
  }

  async unregister(runId: string): Promise<void> {
    this.conversations.delete(runId);
    await this.redis.parleyUnregister(RUN_PREFIX + runId, runId, CONVERSATION_PREFIX);
  }

  async find(runId: string): Promise<ActiveRun | undefined> {
    const json = await this.redis.get(RUN_PREFIX + runId);
    return json === null ? undefined : (JSON.parse(json) as ActiveRun);
  }

  async activeRun(conversationId: string): Promise<ActiveRun | undefined> {
    const slot = await this.redis.get(CONVERSATION_PREFIX + conversationId);
    return slot?.startsWith('run:') === true ? this.find(slot.slice('run:'.length)) : undefined;
  }

  async requestCancel(runId: string, reason: StopReason): Promise<boolean> {
    const run = await this.find(runId);
    if (run === undefined) return false;
    const message: CancelMessage = { runId, reason };
    return (await this.redis.publish(CANCEL_PREFIX + run.instanceId, JSON.stringify(message))) > 0;
  }

  onCancel(instanceId: string, handler: CancelHandler): () => void {
    const channel = CANCEL_PREFIX + instanceId;
    this.handlers.set(channel, handler);
    if (this.subscriber === undefined) {
      // A subscribed connection can do nothing else; ioredis re-subscribes after a reconnect.
      this.subscriber = this.redis.duplicate();
      this.subscriber.on('error', () => undefined);
      this.subscriber.on('message', (from: string, text: string) => {
        try {
          const message = JSON.parse(text) as CancelMessage;
          this.handlers.get(from)?.(message.runId, message.reason);
        } catch (error) {
          this.onError(error);
        }
      });
    }
    void this.subscriber.subscribe(channel).catch((error: unknown) => this.onError(error));
    return () => {
      if (this.handlers.get(channel) !== handler) return;
      this.handlers.delete(channel);
      void this.subscriber?.unsubscribe(channel).catch(() => undefined);
    };
  }

  /** Closes the subscriber connection. */
  close(): void {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }
}
