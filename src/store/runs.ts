/** Run records: one row per generation, with its outcome and token usage. */
import { sql, type ExpressionBuilder, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { Usage } from '../providers/types.js';
import type { Database, RunStatus, RunsTable } from './schema.js';

/** A stored run. */
export type RunRecord = Selectable<RunsTable>;

/** Token totals of a set of runs (OpenAI usage names; `total_tokens` = prompt + completion). */
export interface UsageTotals {
  runs: number;
  prompt_tokens: number;
  completion_tokens: number;
  /** Part of `completion_tokens`. */
  reasoning_tokens: number;
  /** Part of `prompt_tokens`. */
  cached_tokens: number;
  total_tokens: number;
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
  ] as const;
}

type RawSums = { [K in 'runs' | 'prompt_tokens' | 'completion_tokens' | 'reasoning_tokens' | 'cached_tokens']: number | string | bigint | null };

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

  /** Records a run as `streaming`. */
  async create(run: Omit<Insertable<RunsTable>, 'status' | 'created_at'>): Promise<void> {
    await this.database
      .insertInto('runs')
      .values({ ...run, status: 'streaming', created_at: new Date().toISOString() })
      .execute();
  }

  /** Writes a run's outcome and usage. */
  async finish(id: string, status: Exclude<RunStatus, 'streaming'>, finishReason: string | null, usage: Usage, errorCode: string | null): Promise<void> {
    await this.database
      .updateTable('runs')
      .set({
        status,
        finish_reason: finishReason,
        prompt_tokens: usage.prompt_tokens,
        completion_tokens: usage.completion_tokens,
        reasoning_tokens: usage.reasoning_tokens,
        cached_tokens: usage.cached_tokens,
        error_code: errorCode,
        completed_at: new Date().toISOString(),
      })
      .where('id', '=', id)
      .execute();
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

  /** Marks runs left `streaming` by a crash as `interrupted`. */
  async markStreamingInterrupted(): Promise<number> {
    const result = await this.database
      .updateTable('runs')
      .set({ status: 'interrupted', error_code: 'interrupted', completed_at: new Date().toISOString() })
      .where('status', '=', 'streaming')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
