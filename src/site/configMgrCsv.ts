// Parses and validates a ConfigMgr 2007 SP1+ "Import Computer for Out of Band Management"
// file: one computer per line,
//   <short name>,<FQDN>,<SMBIOS GUID>[,<MAC>[,<MEBx password, base64>[,<admin password, base64>]]]
// e.g. NEWCOMP1,NEWCOMP1.contoso.com,55555555-5555-5555-5555-555555555555,05:06:07:08:09:0A
// (ConfigMgr docs, "Choose Mapping page"). Pure: text in, rows or per-line reasons out.
//
// Where the docs are silent (decided here): fields may be double-quoted (RFC 4180, "" for a
// quote) but may not span lines; blank lines are skipped; a first line whose third field
// names the GUID column (contains GUID/UUID/SMBIOS) is a header; GUIDs may carry braces.
import { amtPasswordProblems } from './amtPassword';
import { checkFqdn, checkFqdnMatchesName, checkMacAddress, checkNetbiosName, checkSmbiosUuid } from './identifiers';

export interface ImportRow {
  line: number;
  netbiosName: string;
  fqdn: string;
  uuid: string;
  mac: string | null;
  mebxPassword: string | null;
  adminPassword: string | null;
}

export interface RowError {
  line: number;
  reasons: string[];
}

export interface ParsedImport {
  rows: ImportRow[];
  errors: RowError[];
  headerLine: number | null;
}

/** Splits one CSV line into trimmed fields, or says why it cannot. */
export function splitCsvLine(line: string): { fields: string[] } | { error: string } {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return { error: 'a quoted field is not closed on this line' };
        if (line[i] === '"') {
          if (line[i + 1] === '"') { field += '"'; i += 2; continue; }
          i++;
          break;
        }
        field += line[i++];
      }
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (i < line.length && line[i] !== ',') return { error: `unexpected text after a quoted field (column ${fields.length + 1})` };
    } else {
      const end = line.indexOf(',', i);
      field = (end === -1 ? line.slice(i) : line.slice(i, end)).trim();
      if (field.includes('"')) return { error: `stray double quote in column ${fields.length + 1}` };
      i = end === -1 ? line.length : end;
    }
    fields.push(field);
    if (i >= line.length) return { fields };
    i++; // the comma
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodePassword(field: string, label: string, reasons: string[]): string | null {
  if (field === '') return null;
  if (!BASE64.test(field)) {
    reasons.push(`${label} is not valid base64 (ConfigMgr requires passwords base64-encoded)`);
    return null;
  }
  const bytes = Buffer.from(field, 'base64');
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) {
    reasons.push(`${label} does not decode to text`);
    return null;
  }
  const problems = amtPasswordProblems(text);
  if (problems.length > 0) {
    reasons.push(`${label} does not meet AMT's password rule: ${problems.join(', ')}`);
    return null;
  }
  return text;
}

function isHeader(fields: string[]): boolean {
  const third = fields[2] ?? '';
  return /guid|uuid|smbios/i.test(third) && !checkSmbiosUuid(third).ok;
}

function validateRow(line: number, fields: string[]): ImportRow | RowError {
  if (fields.length < 3) return { line, reasons: [`has ${fields.length} column(s); needs short name, FQDN and SMBIOS GUID`] };
  if (fields.length > 6) return { line, reasons: [`has ${fields.length} columns; the format has at most 6`] };
  const [nameField, fqdnField, guidField, macField = '', mebxField = '', adminField = ''] = fields as [string, string, string, ...string[]];
  const reasons: string[] = [];
  const name = checkNetbiosName(nameField);
  if (!name.ok) reasons.push(name.reason);
  const fqdn = checkFqdn(fqdnField);
  if (!fqdn.ok) reasons.push(fqdn.reason);
  if (name.ok && fqdn.ok) {
    const match = checkFqdnMatchesName(fqdn.value, name.value);
    if (!match.ok) reasons.push(match.reason);
  }
  const uuid = checkSmbiosUuid(guidField);
  if (!uuid.ok) reasons.push(uuid.reason);
  const mac = macField === '' ? null : checkMacAddress(macField);
  if (mac && !mac.ok) reasons.push(mac.reason);
  const mebxPassword = decodePassword(mebxField, 'MEBx password (column 5)', reasons);
  const adminPassword = decodePassword(adminField, 'admin password (column 6)', reasons);
  if (reasons.length > 0 || !name.ok || !fqdn.ok || !uuid.ok || (mac && !mac.ok)) return { line, reasons };
  return { line, netbiosName: name.value, fqdn: fqdn.value, uuid: uuid.value, mac: mac?.value ?? null, mebxPassword, adminPassword };
}

export function parseConfigMgrImport(text: string): ParsedImport {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const rows: ImportRow[] = [];
  const errors: RowError[] = [];
  let headerLine: number | null = null;
  const firstLineOf = { uuid: new Map<string, number>(), name: new Map<string, number>(), fqdn: new Map<string, number>() };

  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    const split = splitCsvLine(raw);
    if ('error' in split) { errors.push({ line, reasons: [split.error] }); return; }
    if (rows.length === 0 && errors.length === 0 && headerLine === null && isHeader(split.fields)) { headerLine = line; return; }
    const result = validateRow(line, split.fields);
    if ('reasons' in result) { errors.push(result); return; }
    const duplicates: string[] = [];
    for (const [key, value, label] of [['uuid', result.uuid, 'SMBIOS GUID'], ['name', result.netbiosName, 'short name'], ['fqdn', result.fqdn, 'FQDN']] as const) {
      const first = firstLineOf[key].get(value);
      if (first !== undefined) duplicates.push(`duplicate ${label} ${value} (first on line ${first})`);
      else firstLineOf[key].set(value, line);
    }
    if (duplicates.length > 0) errors.push({ line, reasons: duplicates });
    else rows.push(result);
  });
  return { rows, errors, headerLine };
}
