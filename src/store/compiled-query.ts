/**
 * Hot statements built and compiled once per database, then executed with new
 * parameter values.
 *
 * Kysely builds an operation tree, freezes it and compiles it to SQL on every
 * call; for the statements every request issues that work repeats identically
 * and profiled at about half of Kysely's CPU (the other half is the database
 * executing). A {@link CompiledStatement} runs its builder once per dialect
 * adapter (one per `Kysely` instance, shared by its transactions) with marker
 * values, records which compiled parameter each marker landed in, and from then
 * on only fills a parameter array: the SQL text, and so the statement cache of
 * the SQLite driver and PostgreSQL's placeholders (`?` or `$1`), stays as Kysely
 * compiled it. Kysely's own executor runs it, so transactions, the
 * WriteBatcher and the query log see it like any other statement.
 *
 * Measured (npm run bench --cpu-prof, v1-json + v1-stream + stored-turn on
 * SQLite): Kysely's query building and compiling (operation-node visitor,
 * `freeze`, parsers) went from 5.9% to 0.1% of Parley's busy CPU.
 *
 * The cache key is the dialect adapter, so a `withPlugin` copy of a database
 * would share the first compilation: statements are for the plain database.
 */
import { createQueryId, type Compilable, type CompiledQuery, type DialectAdapter, type Kysely, type QueryResult, type RootOperationNode } from 'kysely';
import type { Database } from './schema.js';

/** Prefix of the marker strings that stand for parameters while a statement is compiled. */
const MARKER = '\u0000parley-parameter:';

/** One compiled parameter: a named value supplied per call, or a constant of the builder. */
type Slot<P> = { name: keyof P & string } | { value: unknown };

interface Template<P> {
  sql: string;
  query: RootOperationNode;
  slots: readonly Slot<P>[];
}

/**
 * A statement compiled once per database. `build` receives `params`, an
 * object with exactly the properties `names`, which stand for the values
 * passed to {@link execute}: it must put each one where Kysely makes a bound
 * parameter of it (a value in `values`, `set`, `where`, `limit`; the object
 * itself may be passed to `values` or `set`), and never compute with it (its
 * value while compiling is a marker string, whatever its type says). Any other
 * value in the builder is a constant of the statement.
 *
 * @typeParam P parameter names and their value types; every one is required
 *   per call (pass `null` explicitly), so parameter positions never move.
 * @typeParam R the row type the query returns (`QueryResult.rows`).
 */
export class CompiledStatement<P extends Record<string, unknown>, R> {
  private readonly templates = new WeakMap<DialectAdapter, Template<P>>();

  /**
   * @param names the keys of `P` that `build` binds (each must end up a bound
   *   parameter), in the order it sees them: an insert's column order.
   */
  constructor(
    private readonly names: readonly (keyof P & string)[],
    private readonly build: (database: Kysely<Database>, params: P) => Compilable<R>,
  ) {}

  /**
   * Executes the statement on `database` (a `Kysely` or one of its
   * transactions) with `values` bound in place of the builder's params.
   * @throws Error (on the first call per database) when the builder did not
   *   bind every one of `names` (left it out, or inlined it into the SQL);
   *   rejects with the database's error when the statement fails.
   */
  execute(database: Kysely<Database>, values: P): Promise<QueryResult<R>> {
    const template = this.template(database);
    const parameters = template.slots.map((slot) => ('name' in slot ? values[slot.name] : slot.value));
    const compiled: CompiledQuery<R> = { sql: template.sql, parameters, query: template.query, queryId: createQueryId() };
    return database.executeQuery(compiled);
  }

  /** The SQL text compiled for `database`'s dialect (compiling it on first use). */
  sql(database: Kysely<Database>): string {
    return this.template(database).sql;
  }

  private template(database: Kysely<Database>): Template<P> {
    const adapter = database.getExecutor().adapter;
    let template = this.templates.get(adapter);
    if (template === undefined) {
      template = compileTemplate(database, this.names, this.build);
      this.templates.set(adapter, template);
    }
    return template;
  }
}

function compileTemplate<P extends Record<string, unknown>, R>(
  database: Kysely<Database>,
  names: readonly (keyof P & string)[],
  build: (database: Kysely<Database>, params: P) => Compilable<R>,
): Template<P> {
  const params = Object.fromEntries(names.map((name) => [name, MARKER + name])) as P;
  const compiled = build(database, params).compile();
  const bound = new Set<string>();
  const slots = compiled.parameters.map((value): Slot<P> => {
    if (typeof value !== 'string' || !value.startsWith(MARKER)) return { value };
    const name = value.slice(MARKER.length);
    bound.add(name);
    return { name };
  });
  const unbound = names.filter((name) => !bound.has(name));
  if (unbound.length > 0 || compiled.sql.includes(MARKER)) {
    throw new Error(`compiled statement: parameters not bound as values: ${unbound.join(', ') || 'inlined into the SQL'}`);
  }
  return { sql: compiled.sql, query: compiled.query, slots };
}
