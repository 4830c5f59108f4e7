// The README's environment table is the config module's list of variables, row for row, and
// the product reads no AMTPROV_ or TEMPORAL_ variable outside src/config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { VARIABLES } from '../../../src/config/variables';

const root = path.resolve(__dirname, '../../..');

function row(name: string): string {
  const spec = VARIABLES[name as keyof typeof VARIABLES];
  const roles = spec.roles.length === 5 ? 'all' : spec.roles.join(', ');
  return `| \`${name}\` | ${spec.default} | ${roles} | ${spec.meaning} |`;
}

test('README lists every variable with its default, readers and meaning, as src/config/variables.ts has them', () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const expected = Object.keys(VARIABLES).map(row).join('\n');
  assert.ok(readme.includes(`| variable | default | read by | meaning |\n|---|---|---|---|\n${expected}\n`),
    `README.md's environment table should read:\n${expected}`);
});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sources(full) : full.endsWith('.ts') ? [full] : [];
  });
}

test('outside src/config no product code reads one of our variables by its name', () => {
  const offenders = sources(path.join(root, 'src'))
    .filter((file) => !file.includes(`${path.sep}config${path.sep}`))
    .flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/(?:process\.)?env(?:\.|\[['"`])((?:AMTPROV|TEMPORAL)_[A-Z_]+)/g)]
      .map((m) => `${path.relative(root, file)}: ${m[1]}`));
  assert.deepEqual(offenders, []);
});

test('every AMTPROV_ variable the product mentions is in the list (the store still reads its database variables itself)', () => {
  const mentioned = new Set(sources(path.join(root, 'src')).flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/\bAMTPROV_[A-Z][A-Z0-9_]*\b/g)].map((m) => m[0])));
  assert.deepEqual([...mentioned].filter((name) => !(name in VARIABLES)).sort(), []);
});
