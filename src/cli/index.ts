#!/usr/bin/env node
/** The `parley` command: `serve`, `mock-upstream`, `keys`, `--help`. */
import { Command, InvalidArgumentError } from 'commander';
import { mockUpstreamCommand } from '../mock-upstream/command.js';
import { serve } from '../main.js';
import { keysCommand } from './keys.js';

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return parsed;
}

const program = new Command('parley')
  .description('Self-hosted chat backend for LLM apps. Configuration comes from the environment and .env; see README.')
  .showHelpAfterError();

program
  .command('serve')
  .description('start the server (SQLite under ./data and the built-in mock provider unless configured)')
  .option('-p, --port <port>', 'port to listen on (overrides PORT)', port)
  .option('-H, --host <host>', 'address to listen on (overrides PARLEY_HOST)')
  .option('--dotenv <path>', 'environment file to read (default .env)', '.env')
  .action((options: { port?: number; host?: string; dotenv: string }) => serve({ ...options, envFile: options.dotenv }));

program.addCommand(mockUpstreamCommand());
program.addCommand(keysCommand());

await program.parseAsync(process.argv);
