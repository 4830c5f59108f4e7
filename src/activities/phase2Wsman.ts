// Seed steps 8.1-8.4, the WS-Management second stage, with the site's AMT settings: user
// ACLs, ping / web console / SOL / IDE-R, Kerberos, the power scheme, and for ConfigMgr SP2
// behaviour the wireless profiles and wired 802.1X (phase2Network.ts). Each step sets the
// wanted state whatever the device held before, so a retry or a partly unprovisioned device converges.
import { firmwareMajor } from '../contract/firmwareFamilies';
import { addUserAclEntryEx, enumerateUserAclEntries, removeUserAclEntry } from '../amt/wsmanAcl';
import { WsmanClient } from '../amt/wsmanClient';
import {
  enumeratePowerSchemes, putKerberosSettings, setPingResponses, setPowerScheme, setRedirectionState, setWebUiEnabled, getDigestRealm,
  type KerberosKey,
} from '../amt/wsmanSettings';
import { POWER_SCHEME_INSTANCE_ID_PREFIX, REDIRECTION_STATE, SP1_POWER_SCHEME } from '../contract/provisioning';
import { amtKerberosSettings, sidFromString } from '../directory';
import { ACL_ACCESS, AMT_REALMS } from '../site/settingsSchema';
import type { SiteSettings } from '../site/settings';
import type { Computer } from '../site/computers';
import type { DeviceTarget, DirectoryAccountResult, StageReport } from './types';
import { auditStep } from './audit';
import { ProvisioningRefused, type ActivityDeps } from './deps';
import { withDeviceSession } from './deviceAccess';
import { configureNetworkAuthentication } from './phase2Network';
import { revealSecret } from './secretScope';

type AmtSettings = SiteSettings['amt'];

async function configureUserAcls(deps: ActivityDeps, wsman: WsmanClient, amt: AmtSettings): Promise<string> {
  const existing = await enumerateUserAclEntries(wsman);
  for (const handle of existing) await removeUserAclEntry(wsman, handle);
  const realm = amt.userAcls.some((e) => e.username) ? await getDigestRealm(wsman) : '';
  for (const entry of amt.userAcls) {
    await addUserAclEntryEx(wsman, {
      ...(entry.username && entry.password
        ? { digest: { username: entry.username, password: await revealSecret(deps.store, entry.password), digestRealm: realm } }
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
  const realm = (await deps.store.settings.get()).directory?.kerberosRealm;
  if (!realm || !computer.secretRefs.adAccountPassword) {
    throw new ProvisioningRefused('SiteNotConfigured', 'Kerberos needs the directory realm and the computer account password from the directory stage');
  }
  const settings = amtKerberosSettings({
    realm, netbiosName: computer.netbiosName, password: await revealSecret(deps.store, computer.secretRefs.adAccountPassword),
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

export async function phase2Wsman(deps: ActivityDeps, target: DeviceTarget & { directory: DirectoryAccountResult }): Promise<StageReport> {
  return withDeviceSession(deps, target, async (login, heartbeat) => {
    const computer = await deps.store.computers.get(target.computerId);
    const { amt } = await deps.store.settings.get();
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
      heartbeat.step('wireless-8021x');
      steps.push(...await configureNetworkAuthentication(deps, wsman, amt, computer));
    }
    await auditStep(deps, computer.uuid, 'provisioning.phase2', 'success', { steps: steps.length, behaviour: amt.configMgrBehaviour });
    return { steps };
  });
}
