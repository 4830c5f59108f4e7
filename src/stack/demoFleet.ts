// The embedded default's emulated fleet: N AMT devices on 127.0.100.x that trust the demo
// root, are imported into the site store (as an operator's CSV import would), and send
// their Hellos to the listener, so runs appear in the Temporal UI within a minute. Plus one
// in-band device on 127.0.101.1 that nobody imported: its agent registers it with the site
// server API and asks for in-band provisioning when the stack starts.
import { readFileSync } from 'node:fs';
import { DEFAULT_RETRY_POLICY } from '../agent/backoff';
import { AgentRefusal } from '../agent/refusals';
import { requestInBandProvisioning } from '../agent/requestInBandProvisioning';
import { startFleet, trustedHashesOfRoot, type Fleet } from '../emulator/fleet';
import { deviceUuid } from '../emulator/fleetAddressing';
import type { Logger } from '../log';
import { enrollAgent } from '../site/api/agentEnrollment';
import { importComputers } from '../site/importComputers';
import type { SiteStore } from '../site/store';
import { DEMO_DOMAIN, type DemoSite } from './demoSite';

export const DEMO_BASE_IP = '127.0.100.1';
const DEMO_UUID_SEED = 'amtprov-demo';
export const IN_BAND_DEMO_IP = '127.0.101.1';
export const IN_BAND_DEMO_HOST_NAME = 'amtinband001';

export async function startDemoFleet(options: {
  count: number;
  store: SiteStore;
  site: DemoSite;
  stateDir: string;
  listener: { host: string; port: number };
  timeScale: number;
}): Promise<Fleet> {
  // Imported before the devices boot, so their first Hello already finds them.
  const rows = Array.from({ length: options.count }, (_, i) => {
    const name = `AMTDEMO${String(i + 1).padStart(3, '0')}`;
    return { line: i + 1, netbiosName: name, fqdn: `${name.toLowerCase()}.${DEMO_DOMAIN}`, uuid: deviceUuid(DEMO_UUID_SEED, i), mac: null, mebxPassword: null, adminPassword: null };
  });
  await importComputers(options.store, rows, 'stack:demo');
  return startFleet({ ...demoDevices(options), count: options.count, baseIp: DEMO_BASE_IP, uuidSeed: DEMO_UUID_SEED });
}

/** What every demo device shares: the demo domain and root, the site's device password, a control API. */
function demoDevices(options: { site: DemoSite; stateDir: string; listener: { host: string; port: number }; timeScale: number }) {
  return {
    stateDir: options.stateDir,
    provisionServer: options.listener,
    domainSuffix: DEMO_DOMAIN,
    trustedRootHashes: trustedHashesOfRoot(options.site.rootPem),
    adminPasswords: [options.site.deviceAdminPassword],
    timeScale: options.timeScale,
    control: { host: '127.0.0.1', port: 0 },
  };
}

export interface InBandDemo {
  fleet: Fleet;
  /** What the demo agent did, for the start-up lines. */
  outcome: string;
}

/**
 * Boots the in-band demo device (Hellos to the listener, dropped until its agent registers
 * it), enrolls the demo agent (files in `agentDir`, reusable with `amtprov agent`), and runs
 * the agent once. A second start finds the device provisioned and the agent says so.
 */
export async function startInBandDemo(options: {
  store: SiteStore;
  site: DemoSite;
  stateDir: string;
  agentDir: string;
  listener: { host: string; port: number };
  siteApiUrl: string;
  timeScale: number;
  log: Logger;
}): Promise<InBandDemo> {
  // Its own control API, so an operator can unprovision it and run the agent again by hand.
  const fleet = await startFleet({ ...demoDevices(options), count: 1, baseIp: IN_BAND_DEMO_IP, uuidSeed: `${DEMO_UUID_SEED}-inband` });
  try {
    const device = fleet.devices[0].summary();
    const fqdn = `${IN_BAND_DEMO_HOST_NAME}.${DEMO_DOMAIN}`;
    const enrolled = await enrollAgent(options.store, fqdn, options.agentDir, { actor: 'stack:demo', computer: { fqdn, uuid: device.uuid }, force: true });
    const outcome = await requestInBandProvisioning({
      deviceSocket: device.hostInterfacePath ?? '',
      siteUrl: options.siteApiUrl,
      credentials: { certPem: readFileSync(enrolled.certFile, 'utf8'), keyPem: readFileSync(enrolled.keyFile, 'utf8'), caPem: readFileSync(enrolled.caFile, 'utf8') },
      localAddress: IN_BAND_DEMO_IP,
      hostName: IN_BAND_DEMO_HOST_NAME,
      domain: DEMO_DOMAIN,
      retry: { ...DEFAULT_RETRY_POLICY, totalMs: 30_000 },
      log: options.log,
    }).then((done) => `agent requested run ${done.workflowId}`, (err: unknown) => {
      if (err instanceof AgentRefusal) return `agent: ${err.message} (exit ${err.exitCode})`;
      throw err;
    });
    return { fleet, outcome: `${device.uuid}, socket ${device.hostInterfacePath ?? 'none'}, control API ${fleet.controlUrl ?? 'off'}; ${outcome}` };
  } catch (err) {
    await fleet.stop();
    throw err;
  }
}
