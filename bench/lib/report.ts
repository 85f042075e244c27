/**
 * The results of `npm run bench`: rows with their ratios to the relay, a
 * plain-text table for the terminal, and the JSON document written to disk.
 */
import type { PhaseResult } from './load.js';
import { medianOfRounds, type RowMeasurement } from './measure.js';
import type { Scenario } from './scenarios.js';
import type { SystemSpec } from './systems.js';

/** How a row compares with the relay's row of the same baseline scenario. */
export interface RelayComparison {
  /** The relay scenario compared with. */
  baseline: string;
  /** CPU per request divided by the relay's. */
  cpu: number | null;
  /** Time to first token at concurrency 1 minus the relay's (ms). */
  ttftP50DeltaMs: number;
  ttftP99DeltaMs: number;
  /** Answers per second at concurrency 32 divided by the relay's. */
  throughputHigh: number;
}

/** One measured row. */
export interface Row {
  system: string;
  systemLabel: string;
  scenario: string;
  scenarioLabel: string;
  /** The median of the rounds (the figures shown). */
  measurement: RowMeasurement;
  /** Each round as measured, in order. */
  rounds: RowMeasurement[];
  /** Absent for the relay itself and when the relay row was not measured. */
  vsRelay?: RelayComparison;
}

/** Builds a row from its rounds; comparisons are added by {@link compareWithRelay} once every row is in. */
export function row(system: SystemSpec, scenario: Scenario, rounds: RowMeasurement[]): Row {
  const measurement = medianOfRounds(rounds);
  return { system: system.id, systemLabel: system.label, scenario: scenario.id, scenarioLabel: scenario.label, measurement, rounds };
}

/** Fills `vsRelay` of every non-relay row whose baseline the relay was measured on. */
export function compareWithRelay(rows: Row[], baselines: ReadonlyMap<string, Scenario>): void {
  for (const current of rows) {
    if (current.system === 'relay') continue;
    const baseline = baselines.get(current.scenario)?.baseline;
    const relay = rows.find((candidate) => candidate.system === 'relay' && candidate.scenario === baseline);
    if (baseline === undefined || relay === undefined) continue;
    const mine = current.measurement;
    const theirs = relay.measurement;
    const cpu = mine.cpu.microsPerRequest !== null && theirs.cpu.microsPerRequest ? mine.cpu.microsPerRequest / theirs.cpu.microsPerRequest : null;
    current.vsRelay = {
      baseline,
      cpu,
      ttftP50DeltaMs: mine.low.ttftP50Ms - theirs.low.ttftP50Ms,
      ttftP99DeltaMs: mine.low.ttftP99Ms - theirs.low.ttftP99Ms,
      throughputHigh: mine.high.perSecond / theirs.high.perSecond,
    };
  }
}

function fixed(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

function signed(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '–' : `${value >= 0 ? '+' : ''}${value.toFixed(2)}`;
}

function errors(...phases: PhaseResult[]): number {
  return phases.reduce((sum, phase) => sum + phase.errors, 0);
}

/** The table printed at the end of a run, one line per row. */
export function formatTable(rows: readonly Row[]): string {
  const header = [
    'system',
    'scenario',
    'CPU µs/req',
    '×relay',
    'c=1 req/s',
    'c=1 TTFT p50/p99 ms',
    'p50 vs relay',
    'c=32 req/s',
    'c=32 TTFT p50/p99 ms',
    'c=32 total p99 ms',
    'errors',
  ];
  const lines = rows.map(({ system, scenarioLabel, measurement: { cpu, low, high }, vsRelay }) => [
    system,
    scenarioLabel,
    fixed(cpu.microsPerRequest, 0),
    vsRelay?.cpu === undefined || vsRelay.cpu === null ? '–' : `${vsRelay.cpu.toFixed(2)}×`,
    fixed(low.perSecond, 0),
    `${fixed(low.ttftP50Ms, 2)} / ${fixed(low.ttftP99Ms, 2)}`,
    signed(vsRelay?.ttftP50DeltaMs),
    fixed(high.perSecond, 0),
    `${fixed(high.ttftP50Ms, 1)} / ${fixed(high.ttftP99Ms, 1)}`,
    fixed(high.totalP99Ms, 1),
    String(errors(cpu.phase, low, high)),
  ]);
  const all = [header, ...lines];
  const widths = header.map((_, column) => Math.max(...all.map((cells) => cells[column]!.length)));
  return all.map((cells) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

/** Error messages of every phase of every row, for the lines under the table. */
export function errorLines(rows: readonly Row[]): string[] {
  const lines: string[] = [];
  for (const { system, scenario, measurement } of rows) {
    const phases = { 'c=16': measurement.cpu.phase, 'c=1': measurement.low, 'c=32': measurement.high };
    for (const [name, phase] of Object.entries(phases)) {
      for (const [message, count] of Object.entries(phase.errorKinds)) lines.push(`${system} ${scenario} ${name}: ${count} × ${message}`);
    }
  }
  return lines;
}
