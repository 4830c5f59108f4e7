// Reads the operator's settings YAML: validated with the settings schema, every secret
// loaded from its `passwordFile:` (relative to the YAML file) or `passwordEnv:` source and
// checked against its rule, every trusted root read from its `pemFile:` (public, stored as
// PEM). Errors name the key path and never the secret.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { SecretValue } from './settings';
import { secretValueProblems, siteSettingsSchema, trustedRootProblems } from './settingsSchema';
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

/** `{ pemFile: <path> }` (relative to the YAML file) -> the PEM, checked as a trusted root that is valid now. */
function rootCertificateFile(baseDir: string, now: Date) {
  return z.object({ pemFile: z.string().min(1) }, { error: 'must be { pemFile: <path to the PEM certificate> }' }).strict().transform((source, ctx) => {
    const file = path.resolve(baseDir, source.pemFile);
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
      return z.NEVER;
    }
    const problems = trustedRootProblems(pem);
    const validTo = problems.length === 0 ? new X509Certificate(pem).validTo : undefined;
    if (validTo !== undefined && new Date(validTo) <= now) problems.push(`${file} expired on ${validTo}`);
    if (problems.length > 0) {
      ctx.addIssue({ code: 'custom', message: `${source.pemFile} ${problems.join(', ')}` });
      return z.NEVER;
    }
    // Only the certificate is kept, not any text around it.
    return `${/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0]}\n`;
  });
}

function settingsInputSchema(baseDir: string, env: NodeJS.ProcessEnv = process.env, now = new Date()) {
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
    }), rootCertificateFile(baseDir, now));
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
