import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countsLine, fleetCounts, globPattern, parseFleetFilter, selectComputers } from '../../../src/cli/fleetStatus';
import type { Computer } from '../../../src/site/computers';

const pc = (netbiosName: string, amtStatus: Computer['amtStatus'], provisioningMode: Computer['provisioningMode']): Computer =>
  ({ netbiosName, fqdn: `${netbiosName.toLowerCase()}.amt.test`, amtStatus, provisioningMode } as Computer);
const fleet = [pc('LAB-1', 'Provisioned', 'out-of-band'), pc('LAB-2', 'Failed', null), pc('LABX3', 'Unknown', null), pc('OFFICE-1', 'Provisioned', 'in-band')];

test('a name glob has * and ? only, any case, on the NetBIOS name or the FQDN', () => {
  assert.deepEqual(selectComputers(fleet, { name: 'lab-*' }).map((c) => c.netbiosName), ['LAB-1', 'LAB-2']);
  assert.deepEqual(selectComputers(fleet, { name: 'LAB?3' }).map((c) => c.netbiosName), ['LABX3']);
  assert.deepEqual(selectComputers(fleet, { name: 'office-1.amt.test' }).map((c) => c.netbiosName), ['OFFICE-1']);
  assert.equal(globPattern('a.b').test('axb'), false, 'regex characters are literal');
  assert.equal(globPattern('[ab]').test('a'), false);
});

test('filters combine; mode "none" is a computer never reached', () => {
  assert.deepEqual(selectComputers(fleet, parseFleetFilter({ status: 'provisioned', mode: 'IN-BAND' })).map((c) => c.netbiosName), ['OFFICE-1']);
  assert.deepEqual(selectComputers(fleet, parseFleetFilter({ mode: 'none' })).map((c) => c.netbiosName), ['LAB-2', 'LABX3']);
  assert.throws(() => parseFleetFilter({ status: 'Done' }), /--status "Done" is not one of: Unknown, Not Supported, Detected, Not Provisioned, Provisioned, Externally Provisioned, Failed/);
  assert.throws(() => parseFleetFilter({ mode: 'oob' }), /--mode "oob" is not one of: out-of-band, in-band, none/);
});

test('counts by AMT status and mode, biggest first, zeros left out', () => {
  const counts = fleetCounts(fleet);
  assert.equal(counts.total, 4);
  assert.equal(counts.byStatus.Detected, 0);
  assert.equal(countsLine(counts), 'AMT status Provisioned 2, Unknown 1, Failed 1; mode none 2, out-of-band 1, in-band 1');
  assert.equal(countsLine(fleetCounts([])), 'AMT status -; mode -');
});
