// Properties of the ConfigMgr import reader (src/site/configMgrCsv.ts), which reports problems
// per line instead of throwing: any text never throws and every non-blank line ends up as a row,
// an error or the header; generated valid rows parse to what was generated (canonicalised);
// fields quoted RFC 4180-style split back to themselves.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseConfigMgrImport, splitCsvLine, type ImportRow } from '../../../src/site/configMgrCsv';
import { amtPasswordProblems } from '../../../src/site/amtPassword';
import { runs } from './propertyRuns';

const csvNoise = fc.array(fc.oneof(
  fc.constantFrom(',', '"', '""', '\r\n', '\n', '\uFEFF', ' ', '\t', 'SMBIOS GUID', '{', '}', '=', '-', ':',
    '55555555-5555-5555-5555-555555555555', 'pc1', 'pc1.amt.test', '00:11:22:33:44:55', 'QWRtMW4jUGFzcw=='),
  fc.string({ maxLength: 8 }),
), { maxLength: 40 }).map((parts) => parts.join(''));

const alnum = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const netbiosName = fc.tuple(
  fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'),
  fc.string({ unit: fc.constantFrom(...alnum, '-'), maxLength: 13 }),
  fc.constantFrom(...alnum),
).map(([first, middle, last]) => first + middle + last);
const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const domain = fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => labels.join('.'));
const uuid = fc.uuid().filter((u) => !/^[0-]+$/.test(u) && !/^[f-]+$/.test(u));
const mac = fc.uint8Array({ minLength: 6, maxLength: 6 })
  .map((bytes) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':'))
  .filter((m) => m !== '00:00:00:00:00:00' && m !== 'ff:ff:ff:ff:ff:ff');
const printable = fc.constantFrom(...Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).filter((c) => !':,"'.includes(c)));
const password = fc.tuple(fc.constantFrom(...'ABCXYZ'), fc.constantFrom(...'abcxyz'), fc.constantFrom(...'0189'), fc.constantFrom(...'!#$%&<>\'()'),
  fc.string({ unit: printable, minLength: 4, maxLength: 28 })).map((parts) => parts.join(''));

interface Generated { name: string; domain: string; uuid: string; mac: string | null; mebx: string | null; admin: string | null; braces: boolean; upper: boolean }
const generatedRow: fc.Arbitrary<Generated> = fc.record({
  name: netbiosName, domain, uuid, mac: fc.option(mac, { nil: null }),
  mebx: fc.option(password, { nil: null }), admin: fc.option(password, { nil: null }),
  braces: fc.boolean(), upper: fc.boolean(),
}).filter((row) => !/^[0-9]+$/.test(row.name));

/** Quotes a field the way a spreadsheet would: always, or only when it must. */
function quote(field: string, always: boolean): string {
  return always || /[",]/.test(field) || field !== field.trim() ? `"${field.replace(/"/g, '""')}"` : field;
}

function line(row: Generated, quoteAll: boolean): string {
  const b64 = (text: string | null) => (text === null ? '' : Buffer.from(text, 'utf8').toString('base64'));
  const guid = row.upper ? row.uuid.toUpperCase() : row.uuid;
  const fields = [row.name, `${row.name.toLowerCase()}.${row.domain}`, row.braces ? `{${guid}}` : guid, row.mac ?? '', b64(row.mebx), b64(row.admin)];
  while (fields.at(-1) === '' && fields.length > 3) fields.pop();
  return fields.map((f) => quote(f, quoteAll)).join(',');
}

describe('ConfigMgr import properties', () => {
  it('any text is accounted for line by line and never throws', () => {
    fc.assert(fc.property(csvNoise, (text) => {
      const parsed = parseConfigMgrImport(text);
      const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
      const accounted = [...parsed.rows.map((r) => r.line), ...parsed.errors.map((e) => e.line), ...(parsed.headerLine === null ? [] : [parsed.headerLine])];
      const expected = lines.flatMap((raw, index) => (raw.trim() === '' ? [] : [index + 1]));
      assert.deepEqual(accounted.sort((a, b) => a - b), expected);
      for (const error of parsed.errors) assert.ok(error.reasons.length > 0 && error.reasons.every((r) => r.length > 0));
    }), runs());
  });

  it('generated valid rows parse to what was generated', () => {
    fc.assert(fc.property(fc.uniqueArray(generatedRow, { minLength: 1, maxLength: 8, selector: (r) => r.name.toUpperCase() }), fc.boolean(), fc.boolean(),
      (generated, quoteAll, crlf) => {
        fc.pre(new Set(generated.map((r) => r.uuid)).size === generated.length);
        const parsed = parseConfigMgrImport(generated.map((row) => line(row, quoteAll)).join(crlf ? '\r\n' : '\n'));
        assert.deepEqual(parsed.errors, []);
        assert.deepEqual(parsed.rows, generated.map((row, index): ImportRow => ({
          line: index + 1, netbiosName: row.name.toUpperCase(), fqdn: `${row.name.toLowerCase()}.${row.domain}`, uuid: row.uuid,
          mac: row.mac?.toUpperCase() ?? null, mebxPassword: row.mebx, adminPassword: row.admin,
        })));
        for (const row of parsed.rows) for (const p of [row.mebxPassword, row.adminPassword]) if (p !== null) assert.deepEqual(amtPasswordProblems(p), []);
      }), runs(0.5));
  });

  it('quoted fields split back to themselves, whatever they contain', () => {
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 12 }).filter((f) => !/[\r\n]/.test(f)), { minLength: 1, maxLength: 8 }), fc.boolean(), (fields, quoteAll) => {
      // Unquoted fields are trimmed by design, so only quoted ones keep surrounding blanks.
      const split = splitCsvLine(fields.map((f) => quote(f, quoteAll)).join(','));
      assert.deepEqual(split, { fields: quoteAll ? fields : fields.map((f) => (/[",]/.test(f) || f !== f.trim() ? f : f.trim())) });
    }), runs());
  });
});
