/** Run records: one row per generation, with its outcome and token usage. */
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Usage } from '../providers/types.js';
import type { Database, RunStatus, RunsTable } from './schema.js';

/** A stored run. */
export type RunRecord = Selectable<RunsTable>;

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
