// AD computer accounts for AMT devices over LDAPS, and the Kerberos keys AMT derives from them.
export { DirectoryClient, AES_ENCRYPTION_TYPES, type ComputerAccountSpec } from './directoryClient';
export type { ComputerAccount, EnsuredComputerAccount } from './computerAccount';
export { amtSpns } from './computerAccount';
export { DirectoryConnections, closeSharedDirectoryConnections } from './directoryConnections';
export { DirectoryError, type DirectoryErrorType } from './errors';
export type { DirectorySettings } from './settings';
export * from './kerberos/amtKerberos';
export { sidFromString, sidToString } from './sid';
