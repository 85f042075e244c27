/** Run records: one row per generation, with its outcome and token usage. */
import { sql, type ExpressionBuilder, type Insertable, type Kysely, type Selectable, type SqlBool, type Updateable } from 'kysely';
import type { Usage } from '../providers/types.js';
import { CompiledStatement } from './compiled-query.js';
import type { Database, RunStatus, RunsTable } from './schema.js';

/** A stored run. */
export type RunRecord = Selectable<RunsTable>;

/** The columns a run's start writes besides status, timestamps and lease: {@link RunRepository.create}. */
type StartColumns = 'id' | 'owner_id' | 'conversation_id' | 'message_id' | 'surface' | 'provider' | 'model' | 'instance_id' | 'thinking';

/** A new run: what its start knows; status, timestamps and heartbeat are set by {@link RunRepository.create}. */
export type NewRun = Pick<Insertable<RunsTable>, StartColumns> & {
  /** Lease length, ms: the run counts as alive this long without another heartbeat. */
  leaseMs: number;
};

/** A run recovery marked `interrupted`. */
export interface RecoveredRun {
  id: string;
  conversation_id: string | null;
  message_id: string | null;
  instance_id: string | null;
}

/** A run of a task surface with the seed `user_id` (its conversation's external id). */
export type TaskRunRecord = RunRecord & { external_id: string | null };

/** Surfaces whose runs are seed-000 tasks (the partial index `runs_tasks` covers exactly these). */
export const TASK_SURFACES = ['tasks', 'websocket'] as const;

/** `surface in ('tasks', 'websocket')` with the values inlined, so the planner can use the partial index. */
const isTask = sql<SqlBool>`surface in (${sql.join(TASK_SURFACES.map((surface) => sql.lit(surface)))})`;

/**
 * Token totals of a set of runs (OpenAI usage names; `total_tokens` = prompt
 * + completion): only what providers spent. Answers replayed from the
 * response cache count as `cached_answers`, with what they saved.
 */
export interface UsageTotals {
  runs: number;
  prompt_tokens: number;
  completion_tokens: number;
  /** Part of `completion_tokens`. */
  reasoning_tokens: number;
  /** Part of `prompt_tokens`. */
  cached_tokens: number;
  total_tokens: number;
  /** Runs answered from the response cache (no provider call; their tokens are not in the counts above). */
  cached_answers: number;
  /** Tokens the cached answers' originals cost, not spent again. */
  saved_tokens: number;
  /** Sum of the costs providers reported, USD (runs whose provider reports none add 0). */
  cost_usd: number;
}

/** An owner's usage: totals, per provider and model, and per UTC day (`YYYY-MM-DD`), in ascending order. */
export interface UsageReport {
  totals: UsageTotals;
  by_model: (UsageTotals & { provider: string; model: string })[];
  by_day: (UsageTotals & { date: string })[];
}

/** Inclusive range of UTC days, `YYYY-MM-DD`; either end may be open. */
export interface UsageRange {
  from?: string;
  to?: string;
}

/** The UTC day of an ISO-8601 `created_at`; `substr` is spelled the same in SQLite and PostgreSQL. */
const createdDay = sql<string>`substr(created_at, 1, 10)`;

/** Sums of the token columns; counts and sums come back as strings or bigints on PostgreSQL. */
function tokenSums(builder: ExpressionBuilder<Database, 'runs'>) {
  return [
    builder.fn.countAll<number | string | bigint>().as('runs'),
    builder.fn.sum<number | string | bigint | null>('prompt_tokens').as('prompt_tokens'),
    builder.fn.sum<number | string | bigint | null>('completion_tokens').as('completion_tokens'),
    builder.fn.sum<number | string | bigint | null>('reasoning_tokens').as('reasoning_tokens'),
    builder.fn.sum<number | string | bigint | null>('cached_tokens').as('cached_tokens'),
    builder.fn.sum<number | string | bigint | null>('cache_hit').as('cached_answers'),
    builder.fn.sum<number | string | bigint | null>('saved_tokens').as('saved_tokens'),
    builder.fn.sum<number | string | bigint | null>('cost_usd').as('cost_usd'),
  ] as const;
}

type RawSums = {
  [K in 'runs' | 'prompt_tokens' | 'completion_tokens' | 'reasoning_tokens' | 'cached_tokens' | 'cached_answers' | 'saved_tokens' | 'cost_usd']: number | string | bigint | null;
};

function totalsFrom(row: RawSums): UsageTotals {
  const prompt = Number(row.prompt_tokens ?? 0);
  const completion = Number(row.completion_tokens ?? 0);
  return {
    runs: Number(row.runs ?? 0),
    prompt_tokens: prompt,
    completion_tokens: completion,
    reasoning_tokens: Number(row.reasoning_tokens ?? 0),
    cached_tokens: Number(row.cached_tokens ?? 0),
    total_tokens: prompt + completion,
    cached_answers: Number(row.cached_answers ?? 0),
    saved_tokens: Number(row.saved_tokens ?? 0),
    cost_usd: Number(row.cost_usd ?? 0),
  };
}

/** The day after `day` (`YYYY-MM-DD`), so an inclusive end becomes an index-friendly `<` bound. */
function dayAfter(day: string): string {
  const date = new Date(`${day}T00:00:00.000Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

/** Repository of runs. */
export class RunRepository {
  constructor(private readonly database: Kysely<Database>) {}

  /** Records a run as `streaming`, with its instance and a first heartbeat. */
  async create(run: NewRun): Promise<void> {
    await insertRun(this.database, run);
  }

  /**
   * Heartbeat: extends the leases of `runIds` that `instanceId` still runs.
   * Returns the ids renewed; a missing one was taken over (recovered as
   * `interrupted`) and must be stopped by its instance.
   */
  async renew(instanceId: string, runIds: readonly string[], leaseMs: number): Promise<string[]> {
    if (runIds.length === 0) return [];
    const now = Date.now();
    const rows = await this.database
      .updateTable('runs')
      .set({ heartbeat_at: new Date(now).toISOString(), lease_expires_at: new Date(now + leaseMs).toISOString() })
      .where('id', 'in', runIds)
      .where('instance_id', '=', instanceId)
      .where('status', '=', 'streaming')
      .returning('id')
      .execute();
    return rows.map((row) => row.id);
  }

  /**
   * Marks `interrupted` the streaming runs whose lease expired (rows from
   * before leases count as expired), and with `ownInstance` also every
   * streaming run of that instance: an instance that starts knows its earlier
   * runs died with its previous process. Runs of other instances with a live
   * lease are never touched. Returns the runs marked; each is returned to one
   * caller only, however many instances recover at once.
   */
  async recover(options: { ownInstance?: string } = {}): Promise<RecoveredRun[]> {
    const now = new Date().toISOString();
    return this.database
      .updateTable('runs')
      .set({ status: 'interrupted', error_code: 'interrupted', completed_at: now })
      .where('status', '=', 'streaming')
      .where((builder) => {
        const expired = [builder('lease_expires_at', 'is', null), builder('lease_expires_at', '<', now)];
        if (options.ownInstance !== undefined) expired.push(builder('instance_id', '=', options.ownInstance));
        return builder.or(expired);
      })
      .returning(['id', 'conversation_id', 'message_id', 'instance_id'])
      .execute();
  }

  /** The owner's task run (see {@link TASK_SURFACES}), with its conversation's external id. */
  async getTask(ownerId: string, id: string): Promise<TaskRunRecord | undefined> {
    return this.database
      .selectFrom('runs')
      .leftJoin('conversations', 'conversations.id', 'runs.conversation_id')
      .selectAll('runs')
      .select('conversations.external_id')
      .where('runs.id', '=', id)
      .where('runs.owner_id', '=', ownerId)
      .where('runs.surface', 'in', TASK_SURFACES)
      .executeTakeFirst();
  }

  /** Whether at least `count` tasks started after task `id` (ids are time-ordered UUIDv7). */
  async hasNewerTasks(id: string, count: number): Promise<boolean> {
    const row = await this.database.selectFrom('runs').select('id').where(isTask).where('id', '>', id).orderBy('id').limit(1).offset(count - 1).executeTakeFirst();
    return row !== undefined;
  }

  /** How many tasks started at or after `sinceMs` (ms since the epoch), counting at most `limit`. */
  async countTasksSince(sinceMs: number, limit: number): Promise<number> {
    const recent = this.database
      .selectFrom('runs')
      .select('id')
      .where(isTask)
      .where('id', '>=', uuidv7Floor(sinceMs))
      .limit(limit)
      .as('recent');
    const row = await this.database
      .selectFrom(recent)
      .select((builder) => builder.fn.countAll<number | string | bigint>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /**
   * Writes a run's outcome and usage, and for a fallback run the target that
   * served (`provider`, `model`), which replaces the first target recorded at its start.
   */
  async finish(
    id: string,
    status: Exclude<RunStatus, 'streaming'>,
    finishReason: string | null,
    usage: Usage,
    errorCode: string | null,
    served?: { provider: string; model: string },
  ): Promise<void> {
    await finishRunRow(this.database, id, { status, finishReason, usage, errorCode, ...(served === undefined ? {} : { served }) });
  }

  /** The owner's run, or undefined. */
  async get(ownerId: string, id: string): Promise<RunRecord | undefined> {
    return this.database.selectFrom('runs').selectAll().where('id', '=', id).where('owner_id', '=', ownerId).executeTakeFirst();
  }

  /**
   * Token usage of the owner's runs (every outcome: failed and cancelled runs
   * used tokens too) created within `range`, by model and by UTC day.
   */
  async usage(ownerId: string, range: UsageRange = {}): Promise<UsageReport> {
    let runs = this.database.selectFrom('runs').where('owner_id', '=', ownerId);
    if (range.from !== undefined) runs = runs.where('created_at', '>=', range.from);
    if (range.to !== undefined) runs = runs.where('created_at', '<', dayAfter(range.to));
    const [totals, byModel, byDay] = await Promise.all([
      runs.select(tokenSums).executeTakeFirstOrThrow(),
      runs.select(tokenSums).select(['provider', 'model']).groupBy(['provider', 'model']).orderBy('provider').orderBy('model').execute(),
      runs.select(tokenSums).select(createdDay.as('date')).groupBy(createdDay).orderBy(createdDay).execute(),
    ]);
    return {
      totals: totalsFrom(totals),
      by_model: byModel.map((row) => ({ provider: row.provider, model: row.model, ...totalsFrom(row) })),
      by_day: byDay.map((row) => ({ date: row.date, ...totalsFrom(row) })),
    };
  }

}

/**
 * The smallest UUIDv7 of millisecond `ms` (RFC 9562 section 5.7: the first 48
 * bits are the Unix time in ms), so "started since" is a range of run ids.
 */
function uuidv7Floor(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

/** Every column a run's start writes, so the statement's parameter positions never move. */
const RUN_START = ['id', 'owner_id', 'conversation_id', 'message_id', 'surface', 'provider', 'model', 'instance_id', 'thinking', 'status', 'created_at', 'heartbeat_at', 'lease_expires_at'] as const;
type RunStart = { [K in (typeof RUN_START)[number]]: Exclude<Insertable<RunsTable>[K], undefined> };

const insertRunStatement = new CompiledStatement<RunStart, unknown>(RUN_START, (database, params) => database.insertInto('runs').values(params));

/** Inserts a new run row; `database` may be a transaction. */
export async function insertRun(database: Kysely<Database>, run: NewRun): Promise<void> {
  const now = Date.now();
  const created = new Date(now).toISOString();
  await insertRunStatement.execute(database, {
    id: run.id,
    owner_id: run.owner_id,
    conversation_id: run.conversation_id ?? null,
    message_id: run.message_id ?? null,
    surface: run.surface,
    provider: run.provider,
    model: run.model,
    instance_id: run.instance_id ?? null,
    thinking: run.thinking ?? null,
    status: 'streaming',
    created_at: created,
    heartbeat_at: created,
    lease_expires_at: new Date(now + run.leaseMs).toISOString(),
  });
}

/** How a run ended, as its row records it. */
export interface RunOutcome {
  status: Exclude<RunStatus, 'streaming'>;
  finishReason: string | null;
  usage: Usage;
  errorCode: string | null;
  /** A fallback run's serving target: replaces the first target recorded at its start. */
  served?: { provider: string; model: string };
}

/** The columns a run's finish writes (`provider` and `model` only for a fallback run, {@link finishServedStatement}). */
const RUN_FINISH = ['status', 'finish_reason', 'prompt_tokens', 'completion_tokens', 'reasoning_tokens', 'cached_tokens', 'cache_hit', 'saved_tokens', 'cost_usd', 'error_code', 'completed_at'] as const;
type RunFinish = { [K in (typeof RUN_FINISH)[number]]: Exclude<Updateable<RunsTable>[K], undefined> } & { id: string };

function finishRunQuery(database: Kysely<Database>, { id, ...columns }: RunFinish, served?: { provider: string; model: string }) {
  return database
    .updateTable('runs')
    .set({ ...served, ...columns })
    .where('id', '=', id);
}

const finishStatement = new CompiledStatement<RunFinish, unknown>([...RUN_FINISH, 'id'], (database, params) => finishRunQuery(database, params));
const finishServedStatement = new CompiledStatement<RunFinish & { provider: string; model: string }, unknown>(
  ['provider', 'model', ...RUN_FINISH, 'id'],
  (database, { provider, model, ...params }) => finishRunQuery(database, params, { provider, model }),
);

/** Writes a run's outcome and usage (RunRepository.finish); `database` may be a transaction. */
export async function finishRunRow(database: Kysely<Database>, id: string, outcome: RunOutcome): Promise<void> {
  const { usage, served } = outcome;
  const columns: RunFinish = {
    id,
    status: outcome.status,
    finish_reason: outcome.finishReason,
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    reasoning_tokens: usage.reasoning_tokens,
    cached_tokens: usage.cached_tokens,
    cache_hit: usage.cache_hit === true ? 1 : 0,
    saved_tokens: usage.saved_tokens ?? 0,
    cost_usd: usage.cost ?? null,
    error_code: outcome.errorCode,
    completed_at: new Date().toISOString(),
  };
  await (served === undefined ? finishStatement.execute(database, columns) : finishServedStatement.execute(database, { ...columns, ...served }));
}
