/**
 * Stored responses (OpenAI Responses surface), always scoped to their owner:
 * another owner's id reads as missing. JSON columns are parsed and
 * serialized here, so callers see typed values.
 */
import type { Kysely, Selectable } from 'kysely';
import { CompiledStatement } from './compiled-query.js';
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

/** Every column of a response row, in one fixed order (the insert's parameter positions). */
const RESPONSE_COLUMNS = ['id', 'owner_id', 'run_id', 'conversation_id', 'message_id', 'previous_response_id', 'request', 'input_items', 'output', 'created_at'] as const;

/** Statements of every stored `/v1/responses` call, compiled once per database. */
const insertStatement = new CompiledStatement<Selectable<ResponsesTable>, unknown>(RESPONSE_COLUMNS, (database, row) => database.insertInto('responses').values(row));
const getStatement = new CompiledStatement<{ id: string; owner_id: string }, Selectable<ResponsesTable>>(['id', 'owner_id'], (database, params) =>
  database.selectFrom('responses').selectAll().where('id', '=', params.id).where('owner_id', '=', params.owner_id),
);
const setOutputStatement = new CompiledStatement<{ id: string; output: string }, unknown>(['id', 'output'], (database, params) =>
  database.updateTable('responses').set({ output: params.output }).where('id', '=', params.id),
);

/** Repository of stored responses. */
export class ResponseRepository {
  constructor(private readonly database: Kysely<Database>) {}

  /** Records a response as its run starts (`output` stays null until it ends). */
  async create(response: StoredResponse): Promise<void> {
    await insertStatement.execute(this.database, {
      id: response.id,
      owner_id: response.owner_id,
      run_id: response.run_id,
      conversation_id: response.conversation_id,
      message_id: response.message_id,
      previous_response_id: response.previous_response_id,
      request: JSON.stringify(response.request),
      input_items: JSON.stringify(response.input_items),
      output: response.output === null ? null : JSON.stringify(response.output),
      created_at: response.created_at,
    });
  }

  /** The owner's response, or undefined (also when another owner has it). */
  async get<Request, Input, Output>(ownerId: string, id: string): Promise<StoredResponse<Request, Input, Output> | undefined> {
    const row = (await getStatement.execute(this.database, { id, owner_id: ownerId })).rows[0];
    return row === undefined ? undefined : parsed<Request, Input, Output>(row);
  }

  /** Writes the final output once the run ended. */
  async setOutput(id: string, output: unknown): Promise<void> {
    await setOutputStatement.execute(this.database, { id, output: JSON.stringify(output) });
  }

  /** Deletes the owner's response; false when there was none. */
  async delete(ownerId: string, id: string): Promise<boolean> {
    const result = await this.database.deleteFrom('responses').where('id', '=', id).where('owner_id', '=', ownerId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
