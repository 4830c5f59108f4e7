// End to end: the server-side clients (src/amt) against the AMT emulator (src/emulator), two
// independent readings of docs/amt-protocol.md. Phase 1 over EOI SOAP on an early-firmware device,
// phase 1 over WS-Man on a modern one (docs/amt-protocol.md section 9), then phase 2 (WS-Man)
// on the modern device, in seed order.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import { connectDeviceTls, DeviceTlsAgent, type DeviceIdentity } from '../../../src/amt/deviceTls';
import { rotateDigestCredentials, type DigestSession } from '../../../src/amt/digestClient';
import { AmtStatusError, DeviceUnreachable, UnexpectedHttpStatus } from '../../../src/amt/errors';
import { EoiClients } from '../../../src/amt/soapClients';
import { WsmanClient } from '../../../src/amt/wsmanClient';
import { addUserAclEntryEx, enumerateUserAclEntries, getUserAclEntryEx, removeUserAclEntry } from '../../../src/amt/wsmanAcl';
import {
  enumeratePowerSchemes, getAmtFirmwareVersion, getDigestRealm, getGeneralSettings, getKerberosSettings, getRedirectionService, getSetupAndConfiguration,
  putKerberosSettings, setPingResponses, setPowerScheme, setRedirectionState, setWebUiEnabled,
} from '../../../src/amt/wsmanSettings';
import {
  addWiFiSettings, deleteAllWiFiItProfiles, deleteWiFiEndpointSettings, detectWirelessPort, enumerateWiFiEndpointSettings,
  getIeee8021xSettings, putIeee8021xSettings, setIeee8021xCertificates,
} from '../../../src/amt/wsmanWireless';
import { addCertificate, addTrustedRootCertificate, deletePublicKeyCertificate, enumeratePublicKeyCertificates } from '../../../src/amt/wsmanCertificates';
import {
  commitChanges, createTlsCredentialContext, deleteKeyPair, deleteTlsCredentialContext, enumerateKeyPairs,
  enumerateTlsCredentialContexts, generateKeyPair, setAdminAclEntryEx, setHostAndDomainName, setMebxPassword, setNetworkTlsEnabled, synchronizeClock,
} from '../../../src/amt/wsmanSetup';
import { DEFAULT_FIRMWARE_VERSION } from '../../../src/contract/firmwareFamilies';
import { startFleet, trustedHashesOfRoot, type Fleet } from '../../../src/emulator/fleet';
import { PROVISIONING_STATE, REDIRECTION_STATE, SP1_POWER_SCHEME_INSTANCE_ID } from '../../../src/contract/provisioning';
import { issue, provisioningPki, rsaKey, type TestCert } from '../../unit/amt/support/testPki';

const DEVICE_IP = '127.0.32.1';
const MODERN_IP = '127.0.32.11';
const DOMAIN = 'amt.test';
const FQDN = `pc-0001.${DOMAIN}`;
const MEBX_PASSWORD = 'Mebx!Pass1';
const NEW_ADMIN_PASSWORD = 'Adm1n!New-Pass';
const pki = provisioningPki(DOMAIN);
const clientCredential = { privateKeyPem: pki.leaf.keyPem, chainPem: pki.chainPem };
const siteCa = issue({ cn: 'Site Issuing CA', ca: true, key: rsaKey(2048, 12) });

/** What the site CA does in seed step 7.3 on early firmware: certify the key of the device's PKCS#10 request. */
function signDeviceRequest(csrDer: Buffer, ca: TestCert): forge.pki.Certificate {
  const csr = forge.pki.certificationRequestFromAsn1(forge.asn1.fromDer(csrDer.toString('binary')));
  assert.ok(csr.verify(), 'the device signs its request with the key it generated');
  return signDeviceKey(csr.publicKey as forge.pki.PublicKey, ca);
}

/** On modern firmware: certify the key AMT_PublicPrivateKeyPair.DERKey exports (PKCS#1 RSAPublicKey). */
function signDerKey(rsaPublicKeyDer: Buffer, ca: TestCert): forge.pki.Certificate {
  return signDeviceKey(forge.pki.publicKeyFromAsn1(forge.asn1.fromDer(rsaPublicKeyDer.toString('binary'))), ca);
}

/** A serverAuth certificate for the FQDN over the device's key. */
function signDeviceKey(publicKey: forge.pki.PublicKey, ca: TestCert): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = '0a' + forge.util.bytesToHex(forge.random.getBytesSync(8));
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  cert.setSubject([{ shortName: 'CN', value: FQDN }]);
  cert.setIssuer(ca.cert.subject.attributes);
  cert.setExtensions([{ name: 'basicConstraints', cA: false }, { name: 'extKeyUsage', serverAuth: true }, { name: 'subjectAltName', altNames: [{ type: 2, value: FQDN }] }]);
  cert.sign(ca.key, forge.md.sha256.create());
  return cert;
}

/** After commit the device re-opens its TLS port with the new certificate; connection refusals until then are retryable. */
async function whenReachable<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof DeviceUnreachable) || tries >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const der = (cert: forge.pki.Certificate) => Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');

void describe('src/amt clients against the emulator', () => {
  let stateDir: string;
  let fleet: Fleet;
  let modernFleet: Fleet;
  const agents: DeviceTlsAgent[] = [];
  const newAgent = (identity: DeviceIdentity, host = DEVICE_IP) => {
    const agent = new DeviceTlsAgent({ host, clientCredential, identity });
    agents.push(agent);
    return agent;
  };
  let firstFingerprint = '';
  let session: DigestSession;
  let eoi: EoiClients;

  before(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'amt-e2e-'));
    const common = { count: 1, domainSuffix: DOMAIN, trustedRootHashes: trustedHashesOfRoot(pki.root.certPem), adminPasswords: [MEBX_PASSWORD] };
    fleet = await startFleet({ ...common, baseIp: DEVICE_IP, stateDir: path.join(stateDir, 'early'), firmwareVersion: DEFAULT_FIRMWARE_VERSION.early });
    modernFleet = await startFleet({ ...common, baseIp: MODERN_IP, stateDir: path.join(stateDir, 'modern'), firmwareVersion: DEFAULT_FIRMWARE_VERSION.modern });
  });
  after(async () => {
    for (const agent of agents) agent.destroy();
    await fleet?.stop();
    await modernFleet?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  void describe(`phase 1 (EOI SOAP, AMT ${DEFAULT_FIRMWARE_VERSION.early}), seed steps 4.2-7.6`, () => {
    void it('TLS: the device accepts the provisioning chain; first contact records its fingerprint', async () => {
      const { socket, certificate } = await connectDeviceTls({ host: DEVICE_IP, clientCredential, identity: {} });
      socket.destroy();
      assert.equal(certificate.acceptedAs, 'first-contact');
      firstFingerprint = certificate.sha256;
    });

    void it('Digest: rotation skips a wrong credential and logs in as admin with the MEBx password', async () => {
      const result = await rotateDigestCredentials(newAgent({ pinnedSha256: firstFingerprint }), [
        { id: 'stale', username: 'admin', password: 'Not-The-Pass1' },
        { id: 'factory', username: 'admin', password: MEBX_PASSWORD },
      ]);
      assert.equal(result.id, 'factory');
      assert.equal(result.rejected, 1);
      assert.match(result.session.realm ?? '', /^Digest:[0-9A-F]{32}$/);
      session = result.session;
      eoi = await EoiClients.connect(session);
    });

    void it('reads version, mode and state', async () => {
      assert.equal(await eoi.getCoreVersion(), DEFAULT_FIRMWARE_VERSION.early);
      // Early firmware reports the same version over WS-Man, where the server reads it.
      assert.equal(await getAmtFirmwareVersion(new WsmanClient(session)), DEFAULT_FIRMWARE_VERSION.early);
      assert.equal(await eoi.getProvisioningMode(), 1);
      assert.ok([PROVISIONING_STATE.PRE_PROVISIONING, PROVISIONING_STATE.IN_PROVISIONING].includes(await eoi.getProvisioningState() as 0 | 1));
    });

    void it('7.1 time sync', async () => {
      const { ta0 } = await eoi.synchronizeClock();
      assert.ok(Math.abs(ta0 - Date.now() / 1000) < 3600, `device clock ${ta0} is near ours`);
    });

    void it('7.2 host name and domain', async () => {
      await eoi.setHostName('pc-0001');
      await eoi.setDomainName(DOMAIN);
      assert.equal(await eoi.getHostName(), 'pc-0001');
      assert.equal(await eoi.getDomainName(), DOMAIN);
    });

    void it('7.3 TLS certificate from a device-generated key', async () => {
      const keyHandle = await eoi.generateKeyPair();
      const csr = await eoi.getPkcs10Request(keyHandle, `CN=${FQDN}`);
      const certificateHandle = await eoi.addCertificate(der(signDeviceRequest(csr, siteCa)));
      await eoi.setTlsKeyAndCertificate(keyHandle, certificateHandle);
      await eoi.setTlsEnabled(true);
    });

    void it('7.4 remote admin password (only its HA1 crosses the wire)', async () => {
      await eoi.setAdminAclEntry('admin', NEW_ADMIN_PASSWORD, session.realm ?? '');
    });

    void it('7.5 MEBx password', async () => {
      await eoi.setMebxPassword('Mebx!Pass2-New');
    });

    void it('7.6 commit: post-provisioning, site-issued certificate, new admin password', async () => {
      await eoi.commitChanges();
      // The device changed its TLS identity: drop the setup-time connections (the emulator's
      // TLS port re-opens only once they are closed) and start a new session.
      for (const agent of agents.splice(0)) agent.destroy();
      const agent = newAgent({ pinnedSha256: firstFingerprint, siteIssued: { caChainPem: [siteCa.certPem], fqdn: FQDN } });
      const result = await whenReachable(() => rotateDigestCredentials(agent, [
        { id: 'factory', username: 'admin', password: MEBX_PASSWORD },
        { id: 'new', username: 'admin', password: NEW_ADMIN_PASSWORD },
      ]));
      assert.equal(result.id, 'new');
      assert.equal(result.rejected, 1);
      assert.equal(agent.lastCertificate?.acceptedAs, 'site-issued');
      session = result.session;
      eoi = await EoiClients.connect(session);
      assert.equal(await eoi.getProvisioningState(), PROVISIONING_STATE.POST_PROVISIONING);
    });

    void it('a second commit or MEBx change is refused with a named status', async () => {
      await assert.rejects(eoi.setMebxPassword('Mebx!Pass3-New'), (error: unknown) => error instanceof AmtStatusError && error.statusName.startsWith('PT_STATUS_'));
      await assert.rejects(eoi.commitChanges(), (error: unknown) => error instanceof AmtStatusError && error.statusName === 'PT_STATUS_INVALID_PT_MODE');
    });
  });

  void describe(`phase 1 (WS-Man, AMT ${DEFAULT_FIRMWARE_VERSION.modern}), seed steps 4.2-7.6`, () => {
    let modernFingerprint = '';
    let client: WsmanClient;
    let certificateId = '';

    void it('TLS and Digest as on early firmware; the version over CIM_SoftwareIdentity; no EOI service at all', async () => {
      const { socket, certificate } = await connectDeviceTls({ host: MODERN_IP, clientCredential, identity: {} });
      socket.destroy();
      modernFingerprint = certificate.sha256;
      const result = await rotateDigestCredentials(newAgent({ pinnedSha256: modernFingerprint }, MODERN_IP), [{ id: 'factory', username: 'admin', password: MEBX_PASSWORD }]);
      session = result.session;
      client = new WsmanClient(session);
      assert.equal(await getAmtFirmwareVersion(client), DEFAULT_FIRMWARE_VERSION.modern);
      await assert.rejects((await EoiClients.connect(session)).getCoreVersion(), (error: unknown) => error instanceof UnexpectedHttpStatus && error.status === 404);
      assert.ok([PROVISIONING_STATE.PRE_PROVISIONING, PROVISIONING_STATE.IN_PROVISIONING].includes((await getSetupAndConfiguration(client)).provisioningState as 0 | 1));
    });

    void it('7.1 time sync (AMT_TimeSynchronizationService)', async () => {
      const { ta0 } = await synchronizeClock(client, () => Math.floor(Date.now() / 1000));
      assert.ok(Math.abs(ta0 - Date.now() / 1000) < 3600, `device clock ${ta0} is near ours`);
    });

    void it('7.2 host name and domain (AMT_GeneralSettings Put)', async () => {
      await setHostAndDomainName(client, 'pc-0001', DOMAIN);
      const settings = await getGeneralSettings(client);
      assert.deepEqual([settings.HostName, settings.DomainName], ['pc-0001', DOMAIN]);
    });

    void it('7.3 key pair, certificate over its DERKey, credential context', async () => {
      const keyId = await generateKeyPair(client);
      const spare = await generateKeyPair(client);
      const pairs = await enumerateKeyPairs(client);
      assert.deepEqual(pairs.map((pair) => pair.instanceId).sort(), [keyId, spare].sort());
      await deleteKeyPair(client, spare);
      assert.deepEqual((await enumerateKeyPairs(client)).map((pair) => pair.instanceId), [keyId]);
      const key = pairs.find((pair) => pair.instanceId === keyId)!;
      certificateId = await addCertificate(client, der(signDerKey(key.rsaPublicKeyDer, siteCa)));
      await createTlsCredentialContext(client, certificateId);
      const [context, ...more] = await enumerateTlsCredentialContexts(client);
      assert.deepEqual([context.certificateId, more.length], [certificateId, 0]);
    });

    // The selectors of an association are references (EPR-valued, as MeshCentral's amt-wsman
    // and wsman-messages write them); the emulator reads text-valued selectors only so far.
    void it('7.3 a context a retry will not keep is deleted by its references and bound again', async () => {
      const [context] = await enumerateTlsCredentialContexts(client);
      await deleteTlsCredentialContext(client, context);
      assert.deepEqual(await enumerateTlsCredentialContexts(client), []);
      await createTlsCredentialContext(client, certificateId);
    });

    void it('7.3 network TLS on (AMT_TLSSettingData Put)', async () => {
      await setNetworkTlsEnabled(client, true);
    });

    void it('7.4 remote admin password with SetAdminAclEntryEx (only its HA1 crosses the wire)', async () => {
      await setAdminAclEntryEx(client, 'admin', NEW_ADMIN_PASSWORD, session.realm ?? '');
    });

    void it('7.5 MEBx password (AMT_SetupAndConfigurationService.SetMEBxPassword)', async () => {
      await setMebxPassword(client, 'Mebx!Pass2-New');
    });

    void it('7.6 commit: post-provisioning, site-issued certificate, new admin password', async () => {
      await commitChanges(client);
      for (const agent of agents.splice(0)) agent.destroy();
      const agent = newAgent({ pinnedSha256: modernFingerprint, siteIssued: { caChainPem: [siteCa.certPem], fqdn: FQDN } }, MODERN_IP);
      const result = await whenReachable(() => rotateDigestCredentials(agent, [
        { id: 'factory', username: 'admin', password: MEBX_PASSWORD },
        { id: 'new', username: 'admin', password: NEW_ADMIN_PASSWORD },
      ]));
      assert.deepEqual([result.id, result.rejected, agent.lastCertificate?.acceptedAs], ['new', 1, 'site-issued']);
      session = result.session;
      client = new WsmanClient(session);
      assert.equal((await getSetupAndConfiguration(client)).provisioningState, PROVISIONING_STATE.POST_PROVISIONING);
    });

    void it('a second commit is refused with a named status', async () => {
      await assert.rejects(commitChanges(client), (error: unknown) => error instanceof AmtStatusError && error.statusName.startsWith('PT_STATUS_'));
    });
  });

  void describe('phase 2 (WS-Man, on the modern device), seed steps 8.1-8.4', () => {
    let wsman: WsmanClient;
    before(() => { wsman = new WsmanClient(session); });

    void it('reads the Digest realm from AMT_GeneralSettings', async () => {
      assert.equal(await getDigestRealm(wsman), session.realm);
    });

    void it('8.1 ACLs: add a Digest user who can then log in, read it back, remove it', async () => {
      assert.deepEqual(await enumerateUserAclEntries(wsman), []);
      const handle = await addUserAclEntryEx(wsman, { digest: { username: 'ops', password: 'Ops!Pass-123', digestRealm: session.realm ?? '' }, accessPermission: 2, realms: [3, 5] });
      assert.deepEqual(await enumerateUserAclEntries(wsman), [handle]);
      const entry = await getUserAclEntryEx(wsman, handle);
      assert.equal(entry.digestUsername, 'ops');
      assert.equal(entry.accessPermission, 2);
      assert.deepEqual(entry.realms, [3, 5]);
      const ops = await rotateDigestCredentials(newAgent({ pinnedSha256: agents[0]?.lastCertificate?.sha256 }, MODERN_IP), [{ id: 'ops', username: 'ops', password: 'Ops!Pass-123' }]);
      assert.equal(ops.id, 'ops');
      await removeUserAclEntry(wsman, handle);
      assert.deepEqual(await enumerateUserAclEntries(wsman), []);
    });

    void it('8.3 ACLs: a Kerberos SID entry', async () => {
      const sid = Buffer.from('010500000000000515000000a1b2c3d4e5f6a7b8c9d0e1f2e9030000', 'hex').toString('base64');
      const handle = await addUserAclEntryEx(wsman, { kerberosUserSid: sid, accessPermission: 1, realms: [3] });
      assert.equal((await getUserAclEntryEx(wsman, handle)).kerberosUserSid, sid);
      await removeUserAclEntry(wsman, handle);
    });

    void it('8.2 ping and RMCP ping responses', async () => {
      await setPingResponses(wsman, { PingResponseEnabled: true, RmcpPingResponseEnabled: true });
      const settings = await getGeneralSettings(wsman);
      assert.equal(settings.PingResponseEnabled, 'true');
      assert.equal(settings.RmcpPingResponseEnabled, 'true');
    });

    void it('8.2 web console, SOL and IDE-R', async () => {
      await setWebUiEnabled(wsman, true);
      await setRedirectionState(wsman, REDIRECTION_STATE.IDER_AND_SOL);
      assert.equal((await getRedirectionService(wsman)).EnabledState, String(REDIRECTION_STATE.IDER_AND_SOL));
    });

    void it('8.3 Kerberos settings', async () => {
      await putKerberosSettings(wsman, { realmName: 'AMT.TEST', keyVersion: 3, key: { kind: 'rc4', masterKey: Buffer.alloc(16, 5) }, servicePrincipalNames: [`HTTP/${FQDN}:16992`, `HTTP/${FQDN}:16993`], servicePrincipalProtocols: [0, 1] });
      const kerberos = await getKerberosSettings(wsman);
      assert.equal(kerberos.RealmName, 'AMT.TEST');
      assert.equal(kerberos.KeyVersion, '3');
      assert.equal(kerberos.KrbEnabled, 'true');
    });

    void it('8.3 power scheme 5', async () => {
      const schemes = await enumeratePowerSchemes(wsman);
      assert.ok(schemes.some((scheme) => scheme.instanceId === SP1_POWER_SCHEME_INSTANCE_ID), `schemes: ${schemes.map((scheme) => scheme.instanceId).join(', ')}`);
      await setPowerScheme(wsman, SP1_POWER_SCHEME_INSTANCE_ID);
    });

    void it('8.4 wireless: detect the radio, add a profile, delete one, delete all', async () => {
      const port = await detectWirelessPort(wsman);
      assert.equal(port.wifiPorts.length, 1);
      assert.ok(port.ethernetPortSettings);
      const profile = { elementName: 'corp', ssid: 'Corp&Net', priority: 1, authenticationMethod: 6, encryptionMethod: 4, pskPassphrase: 'Wpa2<Pass>&1' };
      await addWiFiSettings(wsman, 'WiFi Endpoint 0', profile);
      const profiles = await enumerateWiFiEndpointSettings(wsman);
      assert.deepEqual(profiles.map((item) => item.SSID), ['Corp&Net']);
      await deleteWiFiEndpointSettings(wsman, profiles[0].InstanceID as string);
      assert.deepEqual(await enumerateWiFiEndpointSettings(wsman), []);
      await addWiFiSettings(wsman, 'WiFi Endpoint 0', { ...profile, elementName: 'guest', priority: 2 });
      await deleteAllWiFiItProfiles(wsman);
      assert.deepEqual(await enumerateWiFiEndpointSettings(wsman), []);
    });

    void it('8.4 certificates and wired 802.1X', async () => {
      const radiusRoot = issue({ cn: 'RADIUS Root', ca: true, key: rsaKey(2048, 13) });
      const rootId = await addTrustedRootCertificate(wsman, der(radiusRoot.cert));
      const stored = await enumeratePublicKeyCertificates(wsman);
      assert.ok(stored.some((certificate) => certificate.InstanceID === rootId));
      // The TLS certificate of step 7.3 is stored with its device key: usable as the EAP-TLS client certificate.
      const clientId = stored.find((certificate) => certificate.TrustedRootCertficate === 'false')?.InstanceID as string;
      await putIeee8021xSettings(wsman, { Enabled: 2, AuthenticationProtocol: 0, ServerCertificateName: 'radius.amt.test', ServerCertificateNameComparison: 2, PxeTimeout: 120 });
      await setIeee8021xCertificates(wsman, rootId, clientId);
      const settings = await getIeee8021xSettings(wsman);
      assert.equal(settings.Enabled, '2');
      assert.equal(settings.ServerCertificateName, 'radius.amt.test');
      const extra = issue({ cn: 'Old RADIUS Root', ca: true, key: rsaKey(2048, 14) });
      const extraId = await addTrustedRootCertificate(wsman, der(extra.cert));
      await deletePublicKeyCertificate(wsman, extraId);
      assert.ok(!(await enumeratePublicKeyCertificates(wsman)).some((certificate) => certificate.InstanceID === extraId));
    });

    void it('reads the setup state (and, in-band, the OTP) from AMT_SetupAndConfigurationService', async () => {
      const setup = await getSetupAndConfiguration(wsman);
      assert.equal(setup.provisioningState, PROVISIONING_STATE.POST_PROVISIONING);
      assert.equal(setup.provisioningMode, 1);
    });
  });
});
