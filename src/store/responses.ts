/**
 * Stored responses (OpenAI Responses surface), always scoped to their owner:
 * another owner's id reads as missing. JSON columns are parsed and
 * serialized here, so callers see typed values.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, ResponsesTable } from './schema.js';

/** A stored response row with its JSON columns parsed. */
export interface StoredResponse<Request = unknown, Input = unknown, Output = unknown>
  extends Omit<Selectable<ResponsesTable>, 'request' | 'input_items' | 'output'> {
  request: Request;
  input_items: Input[];
  output: Output | null;
}

function parsed<Request, Input, Output>(row: Selectable<ResponsesTable>): StoredResponse<Request, Input, Output> {
  return {
    ...row,
    request: JSON.parse(row.request) as Request,
    input_items: JSON.parse(row.input_items) as Input[],
    output: row.output === null ? null : (JSON.parse(row.output) as Output),
  };
}

/** Repository of stored responses. */
export class ResponseRepository {
  constructor(private readonly database: Kysely<Database>) {}

  /** Records a response as its run starts (`output` stays null until it ends). */
  async create(response: StoredResponse): Promise<void> {
    await this.database
      .insertInto('responses')
      .values({
        ...response,
        request: JSON.stringify(response.request),
        input_items: JSON.stringify(response.input_items),
        output: response.output === null ? null : JSON.stringify(response.output),
      })
      .execute();
  }

  /** The owner's response, or undefined (also when another owner has it). */
  async get<Request, Input, Output>(ownerId: string, id: string): Promise<StoredResponse<Request, Input, Output> | undefined> {
    const row = await this.database.selectFrom('responses').selectAll().where('id', '=', id).where('owner_id', '=', ownerId).executeTakeFirst();
    return row === undefined ? undefined : parsed<Request, Input, Output>(row);
  }

  /** Writes the final output once the run ended. */
  async setOutput(id: string, output: unknown): Promise<void> {
    await this.database.updateTable('responses').set({ output: JSON.stringify(output) }).where('id', '=', id).execute();
  }

  /** Deletes the owner's response; false when there was none. */
  async delete(ownerId: string, id: string): Promise<boolean> {
    const result = await this.database.deleteFrom('responses').where('id', '=', id).where('owner_id', '=', ownerId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
