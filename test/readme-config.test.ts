import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { VARIABLES } from '../src/config/variables.js';

test('the README configuration table names exactly the variables Parley reads', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
  const documented = new Set<string>();
  for (const row of section.split('\n').filter((line) => line.startsWith('| `'))) {
    const firstCell = row.split('|')[1] ?? '';
    for (const match of firstCell.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) documented.add(match[1]!);
  }
  const read = new Set<string>(Object.values(VARIABLES).flatMap((spec) => [...spec.names]));
  assert.deepEqual([...read].filter((name) => !documented.has(name)).sort(), [], 'read but not documented');
  assert.deepEqual([...documented].filter((name) => !read.has(name)).sort(), [], 'documented but not read');
});
