// Seed steps 8.1-8.4, the WS-Management second stage, with the site's AMT settings: user
// ACLs, ping / web console / SOL / IDE-R, Kerberos, the power scheme, and for ConfigMgr SP2
// behaviour the wireless profiles and wired 802.1X. Each step sets the wanted state whatever
// the device held before, so a retry or a partly unprovisioned device converges.
import { firmwareMajor } from '../contract/firmwareFamilies';
import { X509Certificate } from 'node:crypto';
import { addUserAclEntryEx, enumerateUserAclEntries, removeUserAclEntry } from '../amt/wsmanAcl';
import { deletePublicKeyCertificate, enumeratePublicKeyCertificates } from '../amt/wsmanCertificates';
import { stringProperty, WsmanClient } from '../amt/wsmanClient';
import {
  enumeratePowerSchemes, putKerberosSettings, setPingResponses, setPowerScheme, setRedirectionState, setWebUiEnabled, getDigestRealm,
  type KerberosKey,
} from '../amt/wsmanSettings';
import { addWiFiSettings, deleteAllWiFiItProfiles, detectWirelessPort, putIeee8021xSettings } from '../amt/wsmanWireless';
import { POWER_SCHEME_INSTANCE_ID_PREFIX, REDIRECTION_STATE, SP1_POWER_SCHEME } from '../contract/provisioning';
import { amtKerberosSettings, sidFromString } from '../directory';
import { ACL_ACCESS, AMT_REALMS, IEEE8021X_PROTOCOLS, WIFI_AUTHENTICATION, WIFI_ENCRYPTION } from '../site/settingsSchema';
import type { SiteSettings } from '../site/settings';
import type { Computer } from '../site/computers';
import type { DeviceTarget, DirectoryAccountResult, StageReport } from './types';
import { auditStep } from './audit';
import { ProvisioningRefused, type ActivityDeps } from './deps';
import { withDeviceSession } from './deviceAccess';
import { revealSecret } from './secretScope';

type AmtSettings = SiteSettings['amt'];

async function configureUserAcls(deps: ActivityDeps, wsman: WsmanClient, amt: AmtSettings): Promise<string> {
  const existing = await enumerateUserAclEntries(wsman);
  for (const handle of existing) await removeUserAclEntry(wsman, handle);
  const realm = amt.userAcls.some((e) => e.username) ? await getDigestRealm(wsman) : '';
  for (const entry of amt.userAcls) {
    await addUserAclEntryEx(wsman, {
      ...(entry.username && entry.password
        ? { digest: { username: entry.username, password: revealSecret(deps.store, entry.password), digestRealm: realm } }
        : { kerberosUserSid: sidFromString(entry.kerberosSid!).toString('base64') }),
      accessPermission: ACL_ACCESS[entry.access],
      realms: entry.realms.map((name) => AMT_REALMS[name]),
    });
  }
  return `user ACLs: removed ${existing.length}, added ${amt.userAcls.length}`;
}

async function configureFeatures(wsman: WsmanClient, amt: AmtSettings): Promise<string> {
  await setPingResponses(wsman, { PingResponseEnabled: amt.pingResponse, RmcpPingResponseEnabled: amt.pingResponse });
  await setWebUiEnabled(wsman, amt.webConsole);
  const redirection = amt.serialOverLan && amt.ideRedirection ? REDIRECTION_STATE.IDER_AND_SOL
    : amt.serialOverLan ? REDIRECTION_STATE.SOL_ONLY
      : amt.ideRedirection ? REDIRECTION_STATE.IDER_ONLY : REDIRECTION_STATE.NONE;
  await setRedirectionState(wsman, redirection);
  return `ping ${amt.pingResponse ? 'on' : 'off'}, web console ${amt.webConsole ? 'on' : 'off'}, SOL ${amt.serialOverLan ? 'on' : 'off'}, IDE-R ${amt.ideRedirection ? 'on' : 'off'}`;
}

async function configureKerberos(deps: ActivityDeps, wsman: WsmanClient, computer: Computer, directory: DirectoryAccountResult): Promise<string> {
  const realm = deps.store.settings.get().directory?.kerberosRealm;
  if (!realm || !computer.secretRefs.adAccountPassword) {
    throw new ProvisioningRefused('SiteNotConfigured', 'Kerberos needs the directory realm and the computer account password from the directory stage');
  }
  const settings = amtKerberosSettings({
    realm, netbiosName: computer.netbiosName, password: revealSecret(deps.store, computer.secretRefs.adAccountPassword),
    keyVersion: directory.keyVersion, firmwareMajor: firmwareMajor(computer.firmwareVersion ?? '0'),
  });
  const key: KerberosKey = settings.MasterKey !== undefined
    ? { kind: 'rc4', masterKey: Buffer.from(settings.MasterKey, 'base64') }
    : { kind: 'aes', passphrase: settings.Passphrase!, salt: settings.Salt!, iterationCount: settings.IterationCount!, algorithms: settings.ConfiguredEncryptionAlgorithms! };
  await putKerberosSettings(wsman, {
    realmName: settings.RealmName, keyVersion: settings.KeyVersion, key, maximumClockTolerance: settings.MaximumClockTolerance,
  });
  return `Kerberos realm ${settings.RealmName}, key version ${settings.KeyVersion}, ${key.kind.toUpperCase()}`;
}

async function configurePowerScheme(wsman: WsmanClient, amt: AmtSettings): Promise<string> {
  // ConfigMgr SP1 always used scheme 5; SP2 applies the configured one.
  const scheme = amt.configMgrBehaviour === 'SP1' ? SP1_POWER_SCHEME : amt.powerScheme;
  const instanceId = `${POWER_SCHEME_INSTANCE_ID_PREFIX}${scheme}`;
  const offered = await enumeratePowerSchemes(wsman);
  if (!offered.some((s) => s.instanceId === instanceId)) {
    throw new ProvisioningRefused('PowerSchemeNotSupported', `the device offers no power scheme ${scheme} (it has: ${offered.map((s) => s.instanceId).join(', ') || 'none'})`);
  }
  await setPowerScheme(wsman, instanceId);
  return `power scheme ${scheme}`;
}

/** Certificates phase 1 put there for TLS (the device's own and the site CA chain) stay; wireless leftovers go. */
function isTlsCertificate(deps: ActivityDeps, blobBase64: string | undefined, fqdn: string): boolean {
  if (!blobBase64) return false;
  const cert = new X509Certificate(Buffer.from(blobBase64, 'base64'));
  const ca = deps.store.issuingCa.get();
  const siteChain = ca ? [ca.certPem, ...ca.chainPem].map((pem) => new X509Certificate(pem).fingerprint256) : [];
  return siteChain.includes(cert.fingerprint256) || cert.checkHost(fqdn) !== undefined;
}

async function configureWireless(deps: ActivityDeps, wsman: WsmanClient, amt: AmtSettings, computer: Computer): Promise<string[]> {
  const steps: string[] = [];
  await deleteAllWiFiItProfiles(wsman);
  let removed = 0;
  for (const cert of await enumeratePublicKeyCertificates(wsman)) {
    if (isTlsCertificate(deps, stringProperty(cert, 'X509Certificate'), computer.fqdn)) continue;
    await deletePublicKeyCertificate(wsman, stringProperty(cert, 'InstanceID')!);
    removed += 1;
  }
  steps.push(`wireless: old profiles deleted, ${removed} old certificate(s) deleted`);
  if (amt.wireless.length === 0) return steps;
  const port = await detectWirelessPort(wsman);
  if (port.wifiPorts.length === 0) {
    steps.push('wireless: the device has no radio; profiles not added');
    return steps;
  }
  for (const profile of amt.wireless) {
    if (profile.ieee8021x) {
      throw new ProvisioningRefused('Unsupported8021xProfile', `wireless profile ${profile.profileName}: 802.1X wireless profiles need RADIUS certificates, which the site cannot supply yet`);
    }
    await addWiFiSettings(wsman, 'WiFi Endpoint 0', {
      elementName: profile.profileName, ssid: profile.ssid, priority: profile.priority,
      authenticationMethod: WIFI_AUTHENTICATION[profile.authentication], encryptionMethod: WIFI_ENCRYPTION[profile.encryption],
      pskPassphrase: revealSecret(deps.store, profile.passphrase!),
    });
  }
  steps.push(`wireless: ${amt.wireless.length} profile(s) added`);
  return steps;
}

async function configureWired8021x(deps: ActivityDeps, wsman: WsmanClient, amt: AmtSettings): Promise<string> {
  const profile = amt.wired8021x;
  if (!profile) {
    await putIeee8021xSettings(wsman, { Enabled: 3 });
    return 'wired 802.1X: off';
  }
  if (!profile.password) {
    throw new ProvisioningRefused('Unsupported8021xProfile', `wired 802.1X ${profile.protocol} needs a client certificate, which the site cannot supply yet`);
  }
  await putIeee8021xSettings(wsman, {
    Enabled: 2,
    AuthenticationProtocol: IEEE8021X_PROTOCOLS[profile.protocol],
    Username: profile.username,
    Password: revealSecret(deps.store, profile.password),
    ...(profile.domain ? { Domain: profile.domain } : {}),
    ...(profile.serverCertificateName ? { ServerCertificateName: profile.serverCertificateName } : {}),
  });
  return `wired 802.1X: ${profile.protocol} as ${profile.username}`;
}

export async function phase2Wsman(deps: ActivityDeps, target: DeviceTarget & { directory: DirectoryAccountResult }): Promise<StageReport> {
  return withDeviceSession(deps, target, async (login, heartbeat) => {
    const computer = deps.store.computers.get(target.computerId);
    const { amt } = deps.store.settings.get();
    const wsman = new WsmanClient(login.session);
    const steps: string[] = [];
    heartbeat.step('acl');
    steps.push(await configureUserAcls(deps, wsman, amt));
    heartbeat.step('features');
    steps.push(await configureFeatures(wsman, amt));
    heartbeat.step('kerberos');
    steps.push(await configureKerberos(deps, wsman, computer, target.directory));
    heartbeat.step('power-scheme');
    steps.push(await configurePowerScheme(wsman, amt));
    if (amt.configMgrBehaviour === 'SP2') {
      heartbeat.step('wireless');
      steps.push(...await configureWireless(deps, wsman, amt, computer));
      heartbeat.step('wired-8021x');
      steps.push(await configureWired8021x(deps, wsman, amt));
    }
    auditStep(deps, computer.uuid, 'provisioning.phase2', 'success', { steps: steps.length, behaviour: amt.configMgrBehaviour });
    return { steps };
  });
}
