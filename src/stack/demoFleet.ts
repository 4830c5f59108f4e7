// The embedded default's emulated fleet: N AMT devices on 127.0.100.x that trust the demo
// root, are imported into the site store (as an operator's CSV import would), and send
// their Hellos to the listener, so runs appear in the Temporal UI within a minute.
import { startFleet, trustedHashesOfRoot, type Fleet } from '../emulator/fleet';
import { deviceUuid } from '../emulator/fleetAddressing';
import { importComputers } from '../site/importComputers';
import type { SiteStore } from '../site/store';
import { DEMO_DOMAIN, type DemoSite } from './demoSite';

export const DEMO_BASE_IP = '127.0.100.1';
const DEMO_UUID_SEED = 'amtprov-demo';

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
  importComputers(options.store, rows, 'stack:demo');
  return startFleet({
    count: options.count,
    baseIp: DEMO_BASE_IP,
    stateDir: options.stateDir,
    provisionServer: options.listener,
    domainSuffix: DEMO_DOMAIN,
    trustedRootHashes: trustedHashesOfRoot(options.site.rootPem),
    adminPasswords: [options.site.deviceAdminPassword],
    timeScale: options.timeScale,
    uuidSeed: DEMO_UUID_SEED,
    control: { host: '127.0.0.1', port: 0 },
  });
}
