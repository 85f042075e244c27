/**
 * The options every bench script shares: where the JSON results go, whether
 * processes are pinned to cores, and (for the scripts that offer it) running
 * Parley from src/ instead of dist/.
 */
import { join, resolve } from 'node:path';
import { envFlag } from './options.js';
import { ROOT, type ParleySource } from './processes.js';

/** `parseArgs` options every script takes. */
export const COMMON_OPTIONS = {
  out: { type: 'string' },
  'no-pin': { type: 'boolean', default: false },
  'cpu-prof': { type: 'string' },
  'node-arg': { type: 'string', multiple: true },
  help: { type: 'boolean', default: false },
} as const;

/** `parseArgs` option of the scripts that can run Parley from source. */
export const SOURCE_OPTION = { 'from-source': { type: 'boolean', default: false } } as const;

/** Usage rows of the common options; `--from-source` only where the script offers it. */
export function commonUsageRows(outFile: string, fromSource: boolean): (readonly [string, string, string?])[] {
  return [
    ['--out FILE', `JSON results, default ${outFile}`, 'BENCH_OUT'],
    ['--no-pin', 'do not pin processes to cores', 'BENCH_NO_PIN=1'],
    ['--cpu-prof DIR', 'write a V8 CPU profile (.cpuprofile) of each server the bench starts into DIR', 'BENCH_CPU_PROF'],
    ['--node-arg=FLAG', 'extra Node flag for each server the bench starts (repeatable), e.g. --node-arg=--heapsnapshot-signal=SIGUSR2', 'BENCH_NODE_ARGS (space-separated)'],
    ...(fromSource ? [['--from-source', 'run Parley from src/ through tsx instead of dist/', 'BENCH_FROM_SOURCE=1'] as const] : []),
  ];
}

/**
 * Reads the common options (flags first, then BENCH_OUT, BENCH_NO_PIN,
 * BENCH_CPU_PROF, BENCH_NODE_ARGS, BENCH_FROM_SOURCE).
 * @param outFile the default results file, relative to the repository root.
 * @returns the absolute results path, whether to pin, the Node flags of the
 *   measured servers (`--cpu-prof` when asked: V8 writes the profile when the
 *   server exits on SIGTERM, then each `--node-arg`, else the words of
 *   BENCH_NODE_ARGS), and where Parley runs from.
 */
export function commonSettings(
  values: { out?: string; 'no-pin'?: boolean; 'cpu-prof'?: string; 'node-arg'?: string[]; 'from-source'?: boolean },
  outFile: string,
): { out: string; pin: boolean; nodeArgs: string[]; source: ParleySource } {
  const profileDir = values['cpu-prof'] ?? process.env.BENCH_CPU_PROF;
  const extraArgs = values['node-arg'] ?? (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter((word) => word !== '');
  return {
    out: resolve(values.out ?? process.env.BENCH_OUT ?? join(ROOT, outFile)),
    pin: values['no-pin'] !== true && !envFlag('BENCH_NO_PIN'),
    nodeArgs: [...(profileDir === undefined || profileDir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`]), ...extraArgs],
    source: values['from-source'] === true || envFlag('BENCH_FROM_SOURCE') ? 'source' : 'dist',
  };
}
