/**
 * A strict parser of the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): it throws on
 * any line a Prometheus server would reject, so tests catch malformed output,
 * and checks histogram invariants (cumulative buckets, `+Inf` = `_count`).
 */

/** One sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its `# HELP`, `# TYPE` and samples. */
export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Values as Prometheus reads them (Go's strconv.ParseFloat: `NaN` and `Inf` in any case; prom-client writes `Nan`). */
const VALUE = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?inf|nan)$/i;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string, line: string): number {
  if (!VALUE.test(text)) throw new Error(`bad sample value in: ${line}`);
  if (/^[+]?inf$/i.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-inf$/i.test(text)) return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(text)) return Number.NaN;
  return Number(text);
}

/** Parses `a="x",b="y\"z"`; throws on bad names, quoting or escapes. */
function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let index = 0;
  while (index < text.length) {
    const equals = text.indexOf('=', index);
    const name = text.slice(index, equals);
    if (equals < 0 || !LABEL_NAME.test(name) || text[equals + 1] !== '"') throw new Error(`bad label in: ${line}`);
    let value = '';
    let cursor = equals + 2;
    for (;;) {
      const character = text[cursor];
      if (character === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (character === '"') break;
      if (character === '\\') {
        const escaped = text[cursor + 1];
        if (escaped === 'n') value += '\n';
        else if (escaped === '\\' || escaped === '"') value += escaped;
        else throw new Error(`bad escape in: ${line}`);
        cursor += 2;
      } else {
        value += character;
        cursor += 1;
      }
    }
    if (name in labels) throw new Error(`duplicate label ${name} in: ${line}`);
    labels[name] = value;
    index = cursor + 1;
    if (text[index] === ',') index += 1;
    else if (index !== text.length) throw new Error(`expected , after label in: ${line}`);
  }
  return labels;
}

function belongsTo(family: Family, sampleName: string): boolean {
  if (sampleName === family.name) return family.type !== 'histogram';
  const suffix = sampleName.slice(family.name.length);
  if (!sampleName.startsWith(family.name)) return false;
  if (family.type === 'histogram') return ['_bucket', '_sum', '_count'].includes(suffix);
  if (family.type === 'summary') return ['_sum', '_count'].includes(suffix);
  return false;
}

function checkHistogram(family: Family): void {
  const series = new Map<string, { buckets: [number, number][]; count?: number }>();
  const keyOf = (labels: Record<string, string>) =>
    JSON.stringify(Object.entries(labels).filter(([name]) => name !== 'le').sort(([a], [b]) => a.localeCompare(b)));
  for (const sample of family.samples) {
    const key = keyOf(sample.labels);
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (sample.name.endsWith('_bucket')) {
      const bound = sample.labels.le;
      if (bound === undefined) throw new Error(`${family.name}: bucket without le`);
      entry.buckets.push([parseValue(bound, bound), sample.value]);
    } else if (sample.name.endsWith('_count')) entry.count = sample.value;
  }
  for (const [key, entry] of series) {
    const last = entry.buckets.at(-1);
    if (last === undefined || last[0] !== Number.POSITIVE_INFINITY) throw new Error(`${family.name}${key}: no +Inf bucket`);
    for (let index = 1; index < entry.buckets.length; index += 1) {
      const [bound, count] = entry.buckets[index]!;
      const [previousBound, previousCount] = entry.buckets[index - 1]!;
      if (bound <= previousBound || count < previousCount) throw new Error(`${family.name}${key}: buckets not cumulative`);
    }
    if (entry.count !== last[1]) throw new Error(`${family.name}${key}: +Inf bucket ${last[1]} != _count ${entry.count}`);
  }
}

/**
 * Parses an exposition; throws on the first violation (a sample without a
 * preceding `# TYPE`, a family split in two, a bad name, label or value).
 */
export function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a line feed');
  const families = new Map<string, Family>();
  let current: Family | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (comment !== null) {
      const [, kind, name, rest] = comment as unknown as [string, 'HELP' | 'TYPE', string, string];
      if (!NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
      let family = families.get(name);
      if (family !== undefined && family !== current) throw new Error(`family ${name} appears twice`);
      if (family === undefined) {
        family = { name, type: 'untyped', help: '', samples: [] };
        families.set(name, family);
      }
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`bad type in: ${line}`);
        if (family.samples.length > 0) throw new Error(`TYPE after samples in: ${line}`);
        family.type = rest as Family['type'];
      } else family.help = rest;
      current = family;
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (sample === null) throw new Error(`bad sample line: ${line}`);
    const [, name, labelText, valueText] = sample as unknown as [string, string, string | undefined, string];
    if (current === undefined || !belongsTo(current, name)) throw new Error(`sample without its # TYPE: ${line}`);
    current.samples.push({ name, labels: labelText === undefined ? {} : parseLabels(labelText, line), value: parseValue(valueText, line) });
  }
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

/**
 * The value of the sample `name` whose labels include `labels`, summed over
 * matches; 0 when there is none (a labelled counter appears on first use).
 */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      if (Object.entries(labels).every(([label, value]) => sample.labels[label] === value)) total += sample.value;
    }
  }
  return total;
}
