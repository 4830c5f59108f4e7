// The listener's view of the site store: imported computers and the provisioning roots.
import type { SiteStore } from '../site/store';
import type { HelloLookups } from './helloPolicy';

export function siteHelloLookups(store: SiteStore): HelloLookups {
  return {
    computer: (uuid) => store.computers.findByUuid(uuid),
    provisioningRootHashes: () => store.provisioningCertificates.trustedRootHashes(),
  };
}
