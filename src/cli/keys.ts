/**
 * `parley keys create | list | revoke`: client keys stored (as SHA-256
 * digests) in the database the server uses, found from the same
 * configuration (`PARLEY_DATA_DIR` or `DATABASE_URL`, `.env`). A running server picks up a new
 * or revoked key within PARLEY_KEY_CACHE_SECONDS, without a restart.
 */
import { Command, InvalidArgumentError } from 'commander';
import { configFromEnvironment } from '../main.js';
import { databaseLocation, Store, type ApiKeyRecord } from '../store/index.js';

interface CommonOptions {
  dotenv: string;
  json?: boolean;
}

function rateLimit(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 1_000_000) throw new InvalidArgumentError('must be a whole number of requests per minute (1-1000000)');
  return parsed;
}

function keyName(value: string): string {
  const name = value.trim();
  if (name === '' || name.length > 100) throw new InvalidArgumentError('must be 1-100 characters');
  return name;
}

/** Opens the server's store without touching its running answers, runs `action`, closes it. */
async function withStore<T>(options: CommonOptions, action: (store: Store) => Promise<T>): Promise<T> {
  const config = configFromEnvironment({ envFile: options.dotenv });
  // Opening recovers nothing: a server may be streaming answers from this database right now.
  const store = await Store.open(databaseLocation(config));
  try {
    return await action(store);
  } finally {
    await store.close();
  }
}

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function table(records: readonly ApiKeyRecord[]): string {
  const header = ['ID', 'NAME', 'PREFIX', 'CREATED', 'REVOKED', 'RATE LIMIT/MIN'];
  const rows = records.map((record) => [
    record.id,
    record.name,
    `${record.key_prefix}…`,
    record.created_at,
    record.revoked_at ?? '-',
    record.rate_limit_per_minute === null ? 'default' : String(record.rate_limit_per_minute),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  return [header, ...rows].map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

/** The `keys` command and its subcommands. */
export function keysCommand(): Command {
  const keys = new Command('keys')
    .description('manage client API keys (stored hashed in the database; each key is its own tenant)')
    .option('--dotenv <path>', 'environment file to read (default .env)', '.env');

  keys
    .command('create')
    .description('create a key and print it once')
    .requiredOption('--name <name>', 'who or what the key is for', keyName)
    .option('--rate-limit <n>', 'chat requests per minute for this key (default: PARLEY_RATE_LIMIT_KEY_PER_MINUTE)', rateLimit)
    .option('--json', 'print the key and its record as JSON')
    .action(async (options: { name: string; rateLimit?: number; json?: boolean }, command: Command) => {
      const common = command.optsWithGlobals<CommonOptions>();
      const issued = await withStore(common, (store) => store.apiKeys.issue(options.name, options.rateLimit ?? null));
      if (options.json === true) {
        print(JSON.stringify({ ...issued.record, key: issued.key }));
        return;
      }
      print(`Created key ${issued.record.id} ("${issued.record.name}").`);
      print();
      print(`  ${issued.key}`);
      print();
      print('Store it now: it is not shown again and cannot be recovered (only its SHA-256 is kept).');
      print('Clients send it as "x-api-key: <key>" or "Authorization: Bearer <key>". Running servers accept it within PARLEY_KEY_CACHE_SECONDS.');
    });

  keys
    .command('list')
    .description('list keys (never the keys themselves)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const records = await withStore(command.optsWithGlobals<CommonOptions>(), (store) => store.apiKeys.list());
      if (options.json === true) print(JSON.stringify(records));
      else print(records.length === 0 ? 'No keys. Create one with: parley keys create --name <name>' : table(records));
    });

  keys
    .command('revoke')
    .description('revoke a key by id; running servers refuse it within PARLEY_KEY_CACHE_SECONDS')
    .argument('<id>', 'key id, from parley keys list')
    .action(async (id: string, _options: unknown, command: Command) => {
      const record = await withStore(command.optsWithGlobals<CommonOptions>(), (store) => store.apiKeys.revoke(id));
      if (record === undefined) {
        process.stderr.write(`parley: no key with id ${id}\n`);
        process.exitCode = 1;
        return;
      }
      print(`Revoked key ${record.id} ("${record.name}") at ${record.revoked_at ?? ''}.`);
    });

  return keys;
}
