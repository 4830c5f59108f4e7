// Reads the operator's settings YAML: validated with the settings schema, every secret
// loaded from its `passwordFile:` (relative to the YAML file) or `passwordEnv:` source and
// checked against its rule. Errors name the key path and never the secret.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { SecretValue } from './settings';
import { secretValueProblems, siteSettingsSchema } from './settingsSchema';
import type { SecretPurpose } from './vault';

export type SettingsFileResult = { ok: true; settings: unknown } | { ok: false; errors: string[] };

const secretSource = z.union([
  z.object({ passwordFile: z.string().min(1) }).strict(),
  z.object({ passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name') }).strict(),
], { error: 'must be { passwordFile: <path> } or { passwordEnv: <NAME> }; secrets are never written inline' });

function readSecret(source: z.output<typeof secretSource>, baseDir: string, env: NodeJS.ProcessEnv): string | { error: string } {
  if ('passwordEnv' in source) {
    const value = env[source.passwordEnv];
    return value === undefined || value === '' ? { error: `environment variable ${source.passwordEnv} is not set` } : value;
  }
  const file = path.resolve(baseDir, source.passwordFile);
  try {
    // One trailing newline is the editor's, not the password's.
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    return { error: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` };
  }
}

function settingsInputSchema(baseDir: string, env: NodeJS.ProcessEnv = process.env) {
  return siteSettingsSchema((purpose: SecretPurpose) =>
    secretSource.transform((source, ctx) => {
      const value = readSecret(source, baseDir, env);
      if (typeof value !== 'string') {
        ctx.addIssue({ code: 'custom', message: value.error });
        return z.NEVER;
      }
      const problems = secretValueProblems(purpose, value);
      if (problems.length > 0) {
        ctx.addIssue({ code: 'custom', message: `secret ${problems.join(', ')}` });
        return z.NEVER;
      }
      return new SecretValue(purpose, value);
    }));
}

function formatIssuePath(issuePath: readonly PropertyKey[]): string {
  return issuePath.length === 0 ? '(top level)' : issuePath.map(String).join('.');
}

export function parseSettingsYaml(text: string, baseDir: string, env: NodeJS.ProcessEnv = process.env): SettingsFileResult {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) return { ok: false, errors: doc.errors.map((e) => `YAML: ${e.message}`) };
  let document: unknown;
  try {
    // Resolving aliases happens here: an unknown anchor or an alias bomb throws ReferenceError.
    document = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    return { ok: false, errors: [`YAML: ${err instanceof Error ? err.message : String(err)}`] };
  }
  const result = settingsInputSchema(baseDir, env).safeParse(document);
  if (!result.success) return { ok: false, errors: result.error.issues.map((i) => `${formatIssuePath(i.path)}: ${i.message}`) };
  return { ok: true, settings: result.data };
}

export function loadSettingsFile(file: string, env: NodeJS.ProcessEnv = process.env): SettingsFileResult {
  return parseSettingsYaml(readFileSync(file, 'utf8'), path.dirname(path.resolve(file)), env);
}
