/**
 * Runs `parley mock-upstream` as a real child process for tests, through the
 * `parley` CLI, and drives it through its admin routes.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MockUpstreamOptions } from '../../src/mock-upstream/options.js';
import type { MockConnectionCounts, RecordedRequest } from '../../src/mock-upstream/server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = 'src/cli/index.ts';
const START_TIMEOUT_MS = 15_000;

/** A running mock upstream process. */
export interface MockUpstreamProcess {
  /** Base URL for the mode's clients, e.g. `http://127.0.0.1:PORT/v1` (OpenAI), `…:PORT` (Anthropic), `…/v1beta` (Gemini). */
  url: string;
  port: number;
  admin: {
    /** POST /mock/options; resolves to the effective options, rejects on a non-2xx answer. */
    setOptions(patch: Record<string, unknown>): Promise<MockUpstreamOptions>;
    /** GET /mock/requests. */
    requests(): Promise<RecordedRequest[]>;
    /** GET /mock/connections: connections accepted, open, and open but never used. */
    connections(): Promise<MockConnectionCounts>;
    /** POST /mock/reset: clears requests, restores the startup options. */
    reset(): Promise<void>;
  };
  /** Sends SIGTERM and resolves to the exit code once the process has exited. */
  stop(): Promise<number | null>;
}

/**
 * Spawns `node --import tsx src/cli/index.ts mock-upstream --port 0 ...args` and
 * waits for its `listening on` line. Rejects if the process exits or stays
 * silent for 15 s, with its stderr in the message.
 */
export function spawnMockUpstream(args: string[]): Promise<MockUpstreamProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'mock-upstream', '--port', '0', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mock upstream did not start in time; stderr: ${stderr}`));
    }, START_TIMEOUT_MS);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`mock upstream exited with ${code}; stderr: ${stderr}`));
    });
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      const match = /mock upstream listening on ((http:\/\/\S+:(\d+))\S*)\n/.exec(stdout);
      if (match?.[1] === undefined || match[2] === undefined || match[3] === undefined) return;
      clearTimeout(timer);
      const url = match[1];
      const base = match[2];
      const admin = async (method: string, path: string, body?: unknown): Promise<unknown> => {
        const response = await fetch(base + path, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await response.text();
        if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
        return JSON.parse(text) as unknown;
      };
      resolve({
        url,
        port: Number(match[3]),
        admin: {
          setOptions: async (patch) => (await admin('POST', '/mock/options', patch)) as MockUpstreamOptions,
          requests: async () => (await admin('GET', '/mock/requests')) as RecordedRequest[],
          connections: async () => (await admin('GET', '/mock/connections')) as MockConnectionCounts,
          reset: async () => {
            await admin('POST', '/mock/reset');
          },
        },
        stop: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    });
  });
}
