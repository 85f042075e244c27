/**
 * Runs `parley serve` as a real child process, the way a user starts it, and
 * finds its port in the JSON startup log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const START_TIMEOUT_MS = 20_000;

/** A running server process. */
export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything written to stdout so far (JSON log lines). */
  output(): string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Output and exit code of a process that was expected to fail at startup. */
export interface FailedStart {
  code: number | null;
  stderr: string;
}

/**
 * Starts `node --import tsx src/cli/index.ts serve` (or, with `entry: 'built'`,
 * `node dist/cli/index.js serve` as deployed; needs `npm run build`) with
 * `environment` added to a minimal one (PORT=0, a data dir is the caller's job).
 */
export function spawnServer(environment: Record<string, string>, args: string[] = [], entry: 'source' | 'built' = 'source'): Promise<ServerProcess> {
  const command = entry === 'built' ? ['dist/cli/index.js'] : ['--import', 'tsx', 'src/cli/index.ts'];
  const child = spawn(process.execPath, [...command, 'serve', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'info', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start; stderr: ${stderr}`));
    }, START_TIMEOUT_MS);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}; stderr: ${stderr}; stdout: ${stdout}`));
    });
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      resolve({
        url: match[1],
        child,
        output: () => stdout,
        stop: (signal = 'SIGTERM') => {
          child.kill(signal);
          return exited;
        },
      });
    });
  });
}

/** Runs the CLI with `args` and resolves when it exits (for startup failures and one-shot commands). */
export function runCli(args: string[], environment: Record<string, string> = {}): Promise<FailedStart & { stdout: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  // A command expected to exit that starts serving instead must not hang the suite.
  const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}
