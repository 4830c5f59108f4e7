import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigMgrImport, splitCsvLine } from '../../../src/site/configMgrCsv';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const GOOD = 'PC1,pc1.amt.test,55555555-5555-5555-5555-555555555555';

/** The reasons reported for a one-row file. */
function reasonsFor(row: string): string[] {
  const parsed = parseConfigMgrImport(`${row}\n`);
  assert.equal(parsed.rows.length, 0, `expected "${row}" to be rejected`);
  assert.equal(parsed.errors.length, 1);
  assert.equal(parsed.errors[0].line, 1);
  return parsed.errors[0].reasons;
}

function assertRejected(row: string, pattern: RegExp): void {
  const reasons = reasonsFor(row);
  assert.ok(reasons.some((r) => pattern.test(r)), `reasons ${JSON.stringify(reasons)} do not match ${pattern}`);
}

void describe('ConfigMgr import file: valid rows', () => {
  void it('parses the documented example and canonicalises every field', () => {
    const parsed = parseConfigMgrImport('NEWCOMP1,NEWCOMP1.contoso.com,55555555-5555-5555-5555-55555555555A,05:06:07:08:09:0a\n');
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(parsed.rows, [{
      line: 1, netbiosName: 'NEWCOMP1', fqdn: 'newcomp1.contoso.com', uuid: '55555555-5555-5555-5555-55555555555a',
      mac: '05:06:07:08:09:0A', mebxPassword: null, adminPassword: null,
    }]);
  });

  void it('decodes base64 passwords, accepts braces, quotes, CRLF, BOM, blank lines and a header', () => {
    const text = '\uFEFFShort Name,FQDN,SMBIOS GUID,MAC,MEBx,Admin\r\n\r\n'
      + `"pc2", pc2.amt.test ,{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE},00-11-22-33-44-55,${b64('Mebx!Pass1')},"${b64('Adm1n#Pass')}"\r\n`;
    const parsed = parseConfigMgrImport(text);
    assert.deepEqual(parsed.errors, []);
    assert.equal(parsed.headerLine, 1);
    assert.equal(parsed.rows.length, 1);
    const row = parsed.rows[0];
    assert.equal(row.line, 3);
    assert.equal(row.netbiosName, 'PC2');
    assert.equal(row.uuid, 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee');
    assert.equal(row.mac, '00:11:22:33:44:55');
    assert.equal(row.mebxPassword, 'Mebx!Pass1');
    assert.equal(row.adminPassword, 'Adm1n#Pass');
  });

  void it('treats empty optional columns as absent', () => {
    const parsed = parseConfigMgrImport(`${GOOD},,,${b64('Adm1n#Pass')}\n`);
    assert.deepEqual(parsed.errors, []);
    assert.equal(parsed.rows[0].mac, null);
    assert.equal(parsed.rows[0].mebxPassword, null);
    assert.equal(parsed.rows[0].adminPassword, 'Adm1n#Pass');
  });

  void it('does not take a first data row for a header', () => {
    const parsed = parseConfigMgrImport(`${GOOD}\n`);
    assert.equal(parsed.headerLine, null);
    assert.equal(parsed.rows.length, 1);
  });
});

void describe('ConfigMgr import file: every reason a row is refused', () => {
  void it('column count', () => {
    assertRejected('PC1,pc1.amt.test', /needs short name, FQDN and SMBIOS GUID/);
    assertRejected(`${GOOD},,,,,extra`, /at most 6/);
  });

  void it('CSV syntax', () => {
    assertRejected('"PC1,pc1.amt.test,55555555-5555-5555-5555-555555555555', /not closed/);
    assertRejected('PC"1,pc1.amt.test,55555555-5555-5555-5555-555555555555', /stray double quote/);
    assertRejected('"PC1"x,pc1.amt.test,55555555-5555-5555-5555-555555555555', /after a quoted field/);
  });

  void it('bad NetBIOS name', () => {
    assertRejected('ABCDEFGHIJKLMNOP,abcdefghijklmnop.amt.test,55555555-5555-5555-5555-555555555555', /longer than 15/);
    assertRejected('PC_1,pc1.amt.test,55555555-5555-5555-5555-555555555555', /letters, digits and hyphens/);
    assertRejected('-PC1,pc1.amt.test,55555555-5555-5555-5555-555555555555', /start or end with a hyphen/);
    assertRejected('1234,1234.amt.test,55555555-5555-5555-5555-555555555555', /all digits/);
    assertRejected(',pc1.amt.test,55555555-5555-5555-5555-555555555555', /short name is empty/);
  });

  void it('bad FQDN, or FQDN not matching the short name', () => {
    assertRejected('PC1,pc1,55555555-5555-5555-5555-555555555555', /no domain part/);
    assertRejected('PC1,pc1.amt_x.test,55555555-5555-5555-5555-555555555555', /invalid label "amt_x"/);
    assertRejected('PC1,pc2.amt.test,55555555-5555-5555-5555-555555555555', /host label "pc2" does not match short name "PC1"/);
  });

  void it('bad SMBIOS GUID', () => {
    assertRejected('PC1,pc1.amt.test,5555-5555', /8-4-4-4-12/);
    assertRejected('PC1,pc1.amt.test,{55555555-5555-5555-5555-555555555555', /8-4-4-4-12/);
    assertRejected('PC1,pc1.amt.test,00000000-0000-0000-0000-000000000000', /all zeros/);
    assertRejected('PC1,pc1.amt.test,FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', /all FF/);
  });

  void it('bad MAC', () => {
    assertRejected(`${GOOD},0011.2233.4455`, /six hex pairs/);
    assertRejected(`${GOOD},00:11:22-33:44:55`, /six hex pairs/);
    assertRejected(`${GOOD},00:00:00:00:00:00`, /all zeros/);
    assertRejected(`${GOOD},FF:FF:FF:FF:FF:FF`, /broadcast/);
  });

  void it('bad base64', () => {
    assertRejected(`${GOOD},,Mebx!Pass1`, /MEBx password \(column 5\) is not valid base64/);
    assertRejected(`${GOOD},,,abc`, /admin password \(column 6\) is not valid base64/);
    assertRejected(`${GOOD},,${Buffer.from([0xff, 0xfe, 0x41, 0x42]).toString('base64')}`, /does not decode to text/);
  });

  void it('MEBx and admin passwords that break the AMT rule, without echoing them', () => {
    const weak = ['short1!A', 'alllowercase1!', 'ALLUPPER1!', 'NoDigits!!', 'NoSymbol12', 'Under_score1', 'Has:Colon1', 'A'.repeat(30) + 'a1!x'];
    for (const password of weak.slice(1)) {
      const reasons = reasonsFor(`${GOOD},,${b64(password)}`);
      assert.match(reasons.join(), /MEBx password \(column 5\) does not meet AMT's password rule/);
      assert.ok(!reasons.join().includes(password), 'the reason must not contain the password');
    }
    assert.match(reasonsFor(`${GOOD},,,${b64('weak')}`).join(), /admin password \(column 6\) does not meet AMT's password rule: must be 8 to 32/);
    assert.equal(parseConfigMgrImport(`${GOOD},,${b64(weak[0])}`).errors.length, 0, 'an 8-character strong password passes');
  });

  void it('reports every reason of a row, on that row', () => {
    const reasons = reasonsFor('PC_1,pc2.amt.test,nope,xx,!!');
    assert.ok(reasons.length >= 4, JSON.stringify(reasons));
  });

  void it('duplicate GUID, name or FQDN in the file names the first line', () => {
    const text = [
      'PC1,pc1.amt.test,11111111-1111-1111-1111-111111111111',
      'PC2,pc2.amt.test,{11111111-1111-1111-1111-111111111111}',
      'pc1,pc1.amt.test,33333333-3333-3333-3333-333333333333',
    ].join('\n');
    const parsed = parseConfigMgrImport(text);
    assert.deepEqual(parsed.rows.map((r) => r.line), [1]);
    assert.deepEqual(parsed.errors, [
      { line: 2, reasons: ['duplicate SMBIOS GUID 11111111-1111-1111-1111-111111111111 (first on line 1)'] },
      { line: 3, reasons: ['duplicate short name PC1 (first on line 1)', 'duplicate FQDN pc1.amt.test (first on line 1)'] },
    ]);
  });

  void it('line numbers count blank lines', () => {
    const parsed = parseConfigMgrImport(`${GOOD}\n\n\nPC9,pc9.amt.test,bad\n`);
    assert.equal(parsed.errors[0].line, 4);
  });
});

void describe('splitCsvLine', () => {
  void it('unescapes doubled quotes and keeps commas inside quotes', () => {
    assert.deepEqual(splitCsvLine('"a,b","say ""hi""", c ,'), { fields: ['a,b', 'say "hi"', 'c', ''] });
  });
});
