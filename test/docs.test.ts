/**
 * The reference docs must keep up with the code: every error code, every setting and
 * every environment variable is documented.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { configSchema } from '../src/config/schema.js';
import { errorRegistry } from '../src/errors.js';

const root = join(import.meta.dirname, '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

test('docs/errors.md has a row for every code of the registry, with its status', () => {
  const doc = read('docs/errors.md');
  const missing: string[] = [];
  for (const [key, entry] of Object.entries(errorRegistry)) {
    const row = new RegExp(`^\\|\\s*\`FREECTI_ERR_${key}\`\\s*\\|\\s*${entry.status}\\s*\\|`, 'm');
    if (!row.test(doc)) missing.push(`FREECTI_ERR_${key} (${entry.status})`);
  }
  assert.deepEqual(missing, [], 'add these rows to the table in docs/errors.md');
});

/** Dotted paths of every setting (`freeswitch.nodes[].port`). */
function settingPaths(schema: z.ZodType, prefix = ''): string[] {
  const def = (schema as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType>; element?: z.ZodType } } })._zod.def;
  if (def.innerType !== undefined && ['default', 'prefault', 'optional', 'nullable'].includes(def.type)) return settingPaths(def.innerType, prefix);
  if (def.type === 'object' && def.shape !== undefined) {
    return Object.entries(def.shape).flatMap(([key, child]) => settingPaths(child, prefix === '' ? key : `${prefix}.${key}`));
  }
  if (def.type === 'array' && def.element !== undefined) {
    const inner = settingPaths(def.element, `${prefix}[]`);
    return inner.length === 1 && inner[0] === `${prefix}[]` ? [prefix] : inner;
  }
  return [prefix];
}

test('docs/configuration.md documents every setting of the schema', () => {
  const doc = read('docs/configuration.md');
  const paths = settingPaths(configSchema);
  assert.ok(paths.includes('freeswitch.nodes[].password') && paths.includes('http.port'), paths.join(', '));
  const missing = paths.filter((p) => !doc.includes(`\`${p}\``));
  assert.deepEqual(missing, [], 'add these settings to docs/configuration.md');
});

test('docs/configuration.md documents every environment variable load.ts reads', () => {
  const source = read('src/config/load.ts');
  const names = new Set([...source.matchAll(/(?:value\(|env\[)'([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1] ?? ''));
  assert.ok(names.has('REDIS_URL') && names.has('FREECTI_CONFIG'), [...names].join(', '));
  const doc = read('docs/configuration.md');
  const missing = [...names].filter((n) => !doc.includes(`\`${n}\``));
  assert.deepEqual(missing, [], 'add these variables to docs/configuration.md');
});

test('the README starts with the two set-up commands', () => {
  const head = read('README.md').split('\n').slice(0, 30).join('\n');
  assert.match(head, /bash scripts\/install-and-run\.sh/);
  assert.match(head, /bash scripts\/test\.sh/);
});
