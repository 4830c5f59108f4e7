// The attribute values an AMT computer account is written with.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { amtSpns, unicodePwd } from '../../../src/directory/computerAccount';

test('the four AMT SPNs: FQDN and NetBIOS name, each on 16992 and 16993', () => {
  assert.deepEqual(amtSpns('pc1.amt.test', 'PC1'), [
    'HTTP/pc1.amt.test:16992', 'HTTP/pc1.amt.test:16993', 'HTTP/PC1:16992', 'HTTP/PC1:16993',
  ]);
});

test('unicodePwd is the quoted password in UTF-16LE', () => {
  assert.deepEqual(unicodePwd('ab'), Buffer.from([0x22, 0, 0x61, 0, 0x62, 0, 0x22, 0]));
  assert.equal(unicodePwd('pässwörd€').length, 2 * '"pässwörd€"'.length);
});
