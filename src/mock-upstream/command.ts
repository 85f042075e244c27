/**
 * `parley mock-upstream`: runs the mock upstream (OpenAI-compatible, or with
 * `--mode` Anthropic Messages or Gemini) as its own process, for demos,
 * benchmarks and tests that need a real socket. Prints one line,
 * `mock upstream listening on <url>`, which scripts parse for the port; `<url>`
 * is the base URL the mode's clients take.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_MOCK_UPSTREAM_OPTIONS, MOCK_MODES } from './options.js';
import type { MockUpstreamOptions } from './options.js';
import { startMockUpstream } from './server.js';

/** Parsed flags as commander hands them over. */
interface Flags {
  host: string;
  port: number;
  mode: MockUpstreamOptions['mode'];
  ttftMs: number;
  tokenRate: number;
  chunks: number;
  reasoningChunks: number;
  reasoningField: MockUpstreamOptions['reasoningField'];
  replay?: string;
  failStatus?: number;
  retryAfter: number;
  stallAfter?: number;
  dropAfter?: number;
  malformedAfter?: number;
  errorEventAfter?: number;
  faultTimes?: number;
  apiKey?: string;
  models?: string[];
  anyModel?: boolean;
}

/** Builds a commander parser for an integer in [min, max]; throws InvalidArgumentError otherwise. */
function integer(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}.`);
    }
    return parsed;
  };
}

function rate(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0) {
    throw new InvalidArgumentError('expected a number of chunks per second, 0 or more.');
  }
  return parsed;
}

function modelList(value: string): string[] {
  const models = value.split(',').map((id) => id.trim()).filter((id) => id !== '');
  if (models.length === 0) throw new InvalidArgumentError('expected comma-separated model ids.');
  return models;
}

/**
 * The `mock-upstream` command. Its action starts the server, prints the
 * listening line, and resolves once SIGTERM or SIGINT has closed it. Startup
 * failures (port in use, unreadable replay file) exit with status 1 via
 * `command.error`; bad flag values are rejected by commander.
 */
export function mockUpstreamCommand(): Command {
  const defaults = DEFAULT_MOCK_UPSTREAM_OPTIONS;
  const command: Command = new Command('mock-upstream')
    .description('Run a mock model provider (OpenAI-compatible, Anthropic or Gemini) for tests, demos and benchmarks.')
    .option('--host <host>', 'interface to bind', defaults.host)
    .option('--port <port>', 'TCP port, 0 for a free one', integer(0, 65_535), defaults.port)
    .addOption(new Option('--mode <api>', 'provider API to speak').choices([...MOCK_MODES]).default(defaults.mode))
    .option('--ttft-ms <ms>', 'delay before the first byte of a chat answer', integer(0), defaults.ttftMs)
    .option('--token-rate <chunks/s>', 'streamed chunks per second, 0 = unlimited', rate, defaults.tokenRate)
    .option('--chunks <n>', 'answer chunks of the scripted reply', integer(1), defaults.chunkCount)
    .option('--reasoning-chunks <n>', 'reasoning chunks before the answer', integer(0), defaults.reasoningChunks)
    .addOption(
      new Option('--reasoning-field <field>', 'delta field for reasoning')
        .choices(['reasoning_content', 'reasoning'])
        .default(defaults.reasoningField),
    )
    .option('--replay <file>', 'replay a recorded chunks file instead of the script')
    .option('--fail-status <code>', "answer chat requests with this HTTP status (400-599) and the API's error body", integer(400, 599))
    .option('--retry-after <s>', 'Retry-After seconds sent with a 429', integer(0), defaults.retryAfterSeconds)
    .option('--stall-after <n>', 'stop sending after n chunks, keeping the socket open', integer(0))
    .option('--drop-after <n>', 'destroy the socket after n chunks', integer(0))
    .option('--malformed-after <n>', 'send an unparsable data line after n chunks and end', integer(0))
    .option('--error-event-after <n>', "send the API's in-stream error event after n chunks and end", integer(0))
    .option('--fault-times <n>', 'apply the fault to the next n chat requests only', integer(1))
    .option('--api-key <key>', "require the key in the mode's header (Bearer / x-api-key / x-goog-api-key)")
    .option('--models <ids>', 'comma-separated model ids to serve', modelList)
    .option('--any-model', 'accept any model id instead of answering 404')
    .action(async (flags: Flags) => {
      let upstream: Awaited<ReturnType<typeof startMockUpstream>>;
      try {
        upstream = await startMockUpstream({
          host: flags.host,
          port: flags.port,
          mode: flags.mode,
          ttftMs: flags.ttftMs,
          tokenRate: flags.tokenRate,
          chunkCount: flags.chunks,
          reasoningChunks: flags.reasoningChunks,
          reasoningField: flags.reasoningField,
          replayFile: flags.replay,
          failStatus: flags.failStatus,
          retryAfterSeconds: flags.retryAfter,
          stallAfter: flags.stallAfter,
          dropAfter: flags.dropAfter,
          malformedAfter: flags.malformedAfter,
          errorEventAfter: flags.errorEventAfter,
          faultTimes: flags.faultTimes,
          apiKey: flags.apiKey,
          models: flags.models ?? [...defaults.models],
          unknownModel404: flags.anyModel !== true,
        });
      } catch (error) {
        command.error(`mock-upstream: ${error instanceof Error ? error.message : String(error)}`, { exitCode: 1 });
      }
      process.stdout.write(`mock upstream listening on ${upstream.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          upstream.close().then(resolve, (error: unknown) => {
            process.stderr.write(`mock-upstream: close failed: ${String(error)}\n`);
            process.exitCode = 1;
            resolve();
          });
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      });
    });
  return command;
}
