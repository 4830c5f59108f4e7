// The directory as the provisioning activities see it: each method validates its input and
// does its reads and writes on one bound connection from the process's pool (verifyBind on a
// connection of its own). Failures are DirectoryErrors.
import {
  deleteComputerAccount, ensureComputerAccount, findComputerAccount,
  type ComputerAccount, type EnsuredComputerAccount,
} from './computerAccount';
import { sharedDirectoryConnections, type DirectoryConnections } from './directoryConnections';
import { withDirectorySession } from './session';
import { validateSettings, type DirectorySettings } from './settings';
import { validateEncryptionTypes, validateFqdn, validateNetbiosName, validateOu, validatePassword } from './validate';

/** AES128 + AES256 (msDS-SupportedEncryptionTypes 8|16): service tickets for the SPNs use AES. */
export const AES_ENCRYPTION_TYPES = 24;

export interface ComputerAccountSpec {
  /** DN of the OU that holds AMT accounts; must be inside the base DN. */
  ou: string;
  /** 1-15 letters, digits, hyphens; becomes sAMAccountName NAME$, the CN and two SPNs. */
  netbiosName: string;
  /** The AMT device's FQDN: dNSHostName and two SPNs. */
  fqdn: string;
  /** The account password (AMT derives its Kerberos key from it). */
  password: string;
  /** msDS-SupportedEncryptionTypes; default 24 (AES). See kerberos/amtKerberos.ts for older firmware. */
  supportedEncryptionTypes?: number;
}

export class DirectoryClient {
  private readonly settings: DirectorySettings;

  /**
   * Throws DirectoryError DirectoryInputInvalid naming the bad field; connects to nothing.
   * `connections` null: every call opens and closes a connection of its own.
   */
  constructor(settings: DirectorySettings, private readonly connections: DirectoryConnections | null = sharedDirectoryConnections()) {
    this.settings = validateSettings(settings);
  }

  /** Connects, binds and unbinds on a connection of its own: proves the URL, the certificate and the credentials now. */
  async verifyBind(): Promise<void> {
    await withDirectorySession(this.settings, [], null, () => Promise.resolve());
  }

  async findComputerAccount(netbiosName: string): Promise<ComputerAccount | undefined> {
    const name = validateNetbiosName(netbiosName);
    return withDirectorySession(this.settings, [], this.connections, (client) => findComputerAccount(client, this.settings.baseDn, name));
  }

  /**
   * Creates the account in spec.ou, or brings the existing one (same sAMAccountName, in that OU)
   * to the wanted state: dNSHostName, exactly the four AMT SPNs, enabled workstation account,
   * encryption types, and the password (which increments msDS-KeyVersionNumber).
   */
  async ensureComputerAccount(spec: ComputerAccountSpec): Promise<EnsuredComputerAccount> {
    const wanted = {
      baseDn: this.settings.baseDn,
      ou: validateOu(spec.ou, this.settings.baseDn),
      netbiosName: validateNetbiosName(spec.netbiosName),
      fqdn: validateFqdn(spec.fqdn),
      password: validatePassword(spec.password),
      supportedEncryptionTypes: validateEncryptionTypes(spec.supportedEncryptionTypes ?? AES_ENCRYPTION_TYPES),
    };
    return withDirectorySession(this.settings, [wanted.password], this.connections, (client) => ensureComputerAccount(client, wanted));
  }

  /** Deletes the account from ou; { deleted: false } when there is none. */
  async deleteComputerAccount(spec: { ou: string; netbiosName: string }): Promise<{ deleted: boolean; dn?: string }> {
    const ou = validateOu(spec.ou, this.settings.baseDn);
    const name = validateNetbiosName(spec.netbiosName);
    return withDirectorySession(this.settings, [], this.connections, (client) => deleteComputerAccount(client, this.settings.baseDn, ou, name));
  }
}
