// What the activities need from the outside world, injected so tests wire real parts
// (a site store on a temp SQLite file, the Samba DC, emulated devices).
import type { Logger } from '../log';
import type { SiteStore } from '../site/store';

export interface ActivityDeps {
  store: SiteStore;
  log: Logger;
  /** Wall clock for time sync and certificate validity; tests may pin it. */
  now?: () => Date;
}
