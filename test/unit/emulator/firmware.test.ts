// Firmware model: factory boot, the phase 1 transaction, power loss, unprovisioning, persistence.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import forge from 'node-forge';
import { PT_STATUS } from '../../../src/contract/ptStatus';
import { digestHa1 } from '../../../src/emulator/digest/digestMath';
import { FirmwareError, PowerLossError } from '../../../src/emulator/firmware/errors';
import type { DeviceSpec } from '../../../src/emulator/firmware/factory';
import { Firmware } from '../../../src/emulator/firmware/firmware';
import { FlashFile } from '../../../src/emulator/firmware/flash';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'emu-fw-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function spec(uuid: string): DeviceSpec {
  return {
    uuid,
    firmwareVersion: '11.8.50',
    mebxPassword: 'Mebx!Pass1',
    dnsSuffix: 'corp.example.com',
    trustedRootHashes: [
      { algorithm: 'sha256', hash: 'AB'.repeat(32), active: true, name: 'test root' },
      { algorithm: 'sha1', hash: 'cd'.repeat(20), active: false, name: 'inactive' },
    ],
  };
}

async function boot(uuid: string): Promise<{ fw: Firmware; flash: FlashFile }> {
  const flash = new FlashFile(path.join(dir, `${uuid}.json`));
  return { fw: await Firmware.boot(flash, spec(uuid)), flash };
}

/** Stages everything commit needs: admin account, TLS key + device-keyed certificate, TLS on. */
async function stageCompleteSetup(fw: Firmware): Promise<void> {
  await fw.setAdminAccount('admin', 'N3w!Secret');
  await fw.applySetting('hostName', 'pc1');
  await fw.applySetting('domainName', 'corp.example.com');
  const key = await fw.generateKeyPair();
  const csr = forge.pki.certificationRequestFromPem(fw.certificationRequest(key.handle, [{ shortName: 'CN', value: 'pc1.corp.example.com' }]));
  assert.equal(csr.verify(), true);
  const caKeys = forge.pki.rsa.generateKeyPair({ bits: 512 }); // signing only; size irrelevant here
  const cert = forge.pki.createCertificate();
  cert.publicKey = csr.publicKey!;
  cert.serialNumber = '02';
  cert.validity.notBefore = new Date(Date.now() - 1000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject(csr.subject.attributes);
  cert.setIssuer([{ shortName: 'CN', value: 'site CA' }]);
  cert.sign(caKeys.privateKey, forge.md.sha256.create());
  const added = await fw.addCertificate(forge.pki.certificateToPem(cert));
  assert.equal(added.keyHandle, key.handle);
  await fw.setTlsKeyAndCertificate(key.handle, added.handle);
  await fw.applySetting('tlsEnabled', true);
}

void describe('firmware model', () => {
  void it('boots to a factory image: pre-provisioning, admin = MEBx password, realm format, 0600 flash', async () => {
    const { fw, flash } = await boot('11111111-1111-4111-8111-111111111111');
    assert.equal(fw.phase, 'pre');
    assert.equal(fw.provisioningStateCode, 0);
    assert.match(fw.state.digestRealm, /^Digest:[0-9A-F]{32}$/);
    assert.equal(fw.isAdminPassword('admin', 'Mebx!Pass1'), true);
    assert.equal(fw.isAdminPassword('admin', 'wrong'), false);
    assert.deepEqual(fw.activeRootHashes().map((h) => h.hash), ['ab'.repeat(32)]);
    const cert = new crypto.X509Certificate(fw.state.tls.selfSigned.certificatePem);
    assert.equal(cert.verify(cert.publicKey), true);
    assert.equal((await stat(flash.filePath)).mode & 0o777, 0o600);
  });

  void it('stages setup until commit, then applies it and persists post-provisioning', async () => {
    const uuid = '22222222-2222-4222-8222-222222222222';
    const { fw } = await boot(uuid);
    assert.equal(fw.beginProvisioning(), true);
    assert.equal(fw.phase, 'in');
    await stageCompleteSetup(fw);
    assert.equal(fw.settings().hostName, 'pc1');
    assert.equal(fw.state.hostName, '', 'staged, not committed');
    assert.equal(fw.isAdminPassword('admin', 'Mebx!Pass1'), true, 'old admin still valid before commit');
    assert.equal(fw.tlsIdentity()?.certificatePem, fw.state.tls.selfSigned.certificatePem);
    await fw.commit();
    assert.equal(fw.phase, 'post');
    assert.equal(fw.state.hostName, 'pc1');
    assert.equal(fw.isAdminPassword('admin', 'N3w!Secret'), true);
    assert.equal(fw.state.admin.ha1, digestHa1('admin', fw.state.digestRealm, 'N3w!Secret'));
    const identity = fw.tlsIdentity();
    assert.notEqual(identity?.certificatePem, fw.state.tls.selfSigned.certificatePem);
    assert.equal(identity?.requireProvisioningClientCertificate, false);
    const again = await boot(uuid);
    assert.equal(again.fw.phase, 'post', 'state survives a reboot');
    assert.equal(again.fw.state.hostName, 'pc1');
  });

  void it('refuses commit outside in-provisioning and with essential data missing', async () => {
    const { fw } = await boot('33333333-3333-4333-8333-333333333333');
    await assert.rejects(fw.commit(), (err: unknown) => err instanceof FirmwareError && err.status === PT_STATUS.INVALID_PT_MODE);
    fw.beginProvisioning();
    await fw.setAdminAccount('admin', 'N3w!Secret');
    await assert.rejects(fw.commit(), (err: unknown) => err instanceof FirmwareError && err.status === PT_STATUS.DATA_MISSING && /TLS/.test(err.message));
    assert.equal(fw.phase, 'in');
  });

  void it('power loss before the commit write loses the staged setup; after the write keeps it', async () => {
    const before = await boot('44444444-4444-4444-8444-444444444444');
    let powerLosses = 0;
    before.fw.on('power-loss', () => (powerLosses += 1));
    before.fw.beginProvisioning();
    await stageCompleteSetup(before.fw);
    before.fw.faults.losePowerDuringCommit('before-write');
    await assert.rejects(before.fw.commit(), PowerLossError);
    assert.equal(powerLosses, 1);
    assert.equal(before.fw.phase, 'pre');
    assert.deepEqual(before.fw.stagedSettingNames(), []);
    assert.equal(before.fw.isAdminPassword('admin', 'Mebx!Pass1'), true);

    const afterWrite = await boot('55555555-5555-4555-8555-555555555555');
    afterWrite.fw.beginProvisioning();
    await stageCompleteSetup(afterWrite.fw);
    afterWrite.fw.faults.losePowerDuringCommit('after-write');
    await assert.rejects(afterWrite.fw.commit(), PowerLossError);
    assert.equal(afterWrite.fw.phase, 'post');
    assert.equal(afterWrite.fw.isAdminPassword('admin', 'N3w!Secret'), true);
    assert.equal(afterWrite.fw.faults.view().losePowerDuringCommit, null, 'the fault fires once');
  });

  void it('power off drops the in-provisioning phase and staged settings', async () => {
    const { fw } = await boot('66666666-6666-4666-8666-666666666666');
    await fw.applySetting('hostName', 'x');
    assert.equal(fw.phase, 'in');
    fw.loseVolatileState();
    assert.equal(fw.phase, 'pre');
    assert.equal(fw.settings().hostName, '');
  });

  void it('partial unprovision keeps the admin account and names; full resets them', async () => {
    for (const mode of ['partial', 'full'] as const) {
      const { fw } = await boot(mode === 'partial' ? '77777777-7777-4777-8777-777777777777' : '88888888-8888-4888-8888-888888888888');
      fw.beginProvisioning();
      await stageCompleteSetup(fw);
      await fw.commit();
      await fw.update((s) => {
        s.features.sol = true;
        s.userAcl.push({ handle: 1, digestUsername: 'op', digestHa1: 'x', accessPermission: 2, realms: [3] });
      });
      await fw.unprovision(mode);
      assert.equal(fw.phase, 'pre');
      assert.equal(fw.state.features.sol, false);
      assert.deepEqual(fw.state.userAcl, []);
      assert.deepEqual(fw.state.keyStore.keyPairs, []);
      assert.equal(fw.state.tls.enabled, false);
      assert.equal(fw.state.mebx.password, 'Mebx!Pass1');
      if (mode === 'partial') {
        assert.equal(fw.isAdminPassword('admin', 'N3w!Secret'), true);
        assert.equal(fw.state.admin.setByServer, true);
        assert.equal(fw.state.hostName, 'pc1');
      } else {
        assert.equal(fw.isAdminPassword('admin', 'Mebx!Pass1'), true);
        assert.equal(fw.state.admin.setByServer, false);
        assert.equal(fw.state.hostName, '');
      }
    }
  });

  void it('refuses the OTP post-provisioning and a certificate that does not carry the key', async () => {
    const { fw } = await boot('99999999-9999-4999-8999-999999999999');
    await fw.setOtp('OneTime#123');
    assert.equal(fw.state.otp, 'OneTime#123');
    fw.beginProvisioning();
    await stageCompleteSetup(fw);
    const otherKey = await fw.generateKeyPair();
    const certHandle = fw.state.keyStore.certificates[0].handle;
    await assert.rejects(fw.setTlsKeyAndCertificate(otherKey.handle, certHandle), (err: unknown) => err instanceof FirmwareError && err.status === PT_STATUS.CERT_KEY_NOT_MATCH);
    await assert.rejects(fw.setTlsKeyAndCertificate(999, certHandle), (err: unknown) => err instanceof FirmwareError && err.status === PT_STATUS.INVALID_HANDLE);
    await fw.commit();
    await assert.rejects(fw.setOtp('Another#123'), (err: unknown) => err instanceof FirmwareError && err.status === PT_STATUS.INVALID_PT_MODE);
  });

  void it('writes the flash atomically: the file always parses, and refuses a foreign or unknown file', async () => {
    const uuid = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
    const { fw, flash } = await boot(uuid);
    await Promise.all(Array.from({ length: 20 }, (_, i) => fw.update((s) => { s.hostName = `h${i}`; })));
    const stored = JSON.parse(await readFile(flash.filePath, 'utf8')) as { hostName: string };
    assert.equal(stored.hostName, 'h19');
    await assert.rejects(Firmware.boot(flash, spec('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb')), /belongs to device/);
  });

  void it('re-reads the boot environment: DNS suffix and firmware version from the spec, new trusted hashes added', async () => {
    const uuid = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
    const { fw, flash } = await boot(uuid);
    await fw.setAdminAccount('admin', 'Kept!Pass1');
    const next = spec(uuid);
    next.dnsSuffix = 'moved.example.com';
    next.firmwareVersion = '12.0.45';
    next.trustedRootHashes = [{ algorithm: 'sha384', hash: 'EF'.repeat(48), active: true, name: 'new root' }];
    const rebooted = await Firmware.boot(flash, next);
    assert.equal(rebooted.state.dnsSuffix, 'moved.example.com');
    assert.equal(rebooted.state.firmwareVersion, '12.0.45');
    assert.deepEqual(rebooted.state.trustedRootHashes.map((h) => h.hash), ['ab'.repeat(32), 'cd'.repeat(20), 'ef'.repeat(48)]);
    assert.equal(rebooted.state.digestRealm, fw.state.digestRealm, 'the flash is otherwise kept');
    assert.equal(rebooted.phase, 'pre', 'in-provisioning did not survive the reboot');
  });

  void it('keeps the radio in flash unless the spec names it: a new device has one, a given spec is applied at boot', async () => {
    const uuid = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd';
    const { fw, flash } = await boot(uuid);
    assert.equal(fw.state.hasRadio, true);
    await fw.update((s) => {
      s.hasRadio = false;
    });
    assert.equal((await Firmware.boot(flash, spec(uuid))).state.hasRadio, false, 'the flash wins when the spec is silent');
    assert.equal((await Firmware.boot(flash, { ...spec(uuid), hasRadio: true })).state.hasRadio, true, 'detected hardware wins at boot');
    const stored = JSON.parse(await readFile(flash.filePath, 'utf8')) as { hasRadio: boolean };
    assert.equal(stored.hasRadio, true);
  });

  void it('upgrades a schema 1 state file: RC4 master key kept as key material, radio fitted', async () => {
    const uuid = 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee';
    const { fw, flash } = await boot(uuid);
    const old = JSON.parse(await readFile(flash.filePath, 'utf8')) as Record<string, unknown>;
    delete old.hasRadio;
    const masterKey = crypto.randomBytes(16).toString('base64');
    await writeFile(flash.filePath, JSON.stringify({ ...old, schema: 1, kerberos: { realm: 'CORP.EXAMPLE.COM', keyVersion: 4, masterKey, enabled: true } }));
    const upgraded = await Firmware.boot(flash, spec(uuid));
    assert.equal(upgraded.state.schema, 2);
    assert.equal(upgraded.state.hasRadio, true);
    assert.deepEqual(upgraded.state.kerberos, { realm: 'CORP.EXAMPLE.COM', keyVersion: 4, enabled: true, maximumClockTolerance: 5, key: { kind: 'rc4-hmac', masterKey } });
    assert.equal(upgraded.state.digestRealm, fw.state.digestRealm);
    await writeFile(flash.filePath, JSON.stringify({ ...old, schema: 9 }));
    await assert.rejects(Firmware.boot(flash, spec(uuid)), /unknown schema/);
  });

  void it('ExtendProvisioningPeriod announces a new period before commit and is refused after', async () => {
    const { fw } = await boot('ffffffff-ffff-4fff-8fff-ffffffffffff');
    let periods = 0;
    fw.on('provisioning-period', () => (periods += 1));
    fw.extendProvisioningPeriod();
    await stageCompleteSetup(fw);
    fw.extendProvisioningPeriod();
    await fw.commit();
    assert.throws(() => fw.extendProvisioningPeriod(), (err: unknown) => err instanceof FirmwareError && err.status === PT_STATUS.INVALID_PT_MODE);
    assert.equal(periods, 2);
  });
});
