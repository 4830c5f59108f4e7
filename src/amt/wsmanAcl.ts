// Seed step 8.1: user ACL entries over AMT_AuthorizationService (docs/amt-protocol.md section 6).
import { child, children, escapeXml, text } from './deviceXml';
import { digestHa1 } from './digestAuth';
import { AmtRequestInvalid, DeviceXmlRejected } from './errors';
import { numberProperty, stringProperty, type WsmanClient } from './wsmanClient';

const SERVICE = 'AMT_AuthorizationService';
/** AMT's limit on DigestUsername (wsman-messages enforces it as well). */
const MAX_DIGEST_USERNAME = 16;

export type AccessPermission = 0 | 1 | 2; // local only, network only, local and network
/** AMT realm ids (RedirectionRealm 2, PTAdministrationRealm 3, ...), per AMT.Types.AuthorizationService. */
export type AclRealm = 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 17 | 18 | 19 | 20 | 21 | 24;

export interface UserAclEntry {
  handle: number;
  digestUsername?: string;
  kerberosUserSid?: string;
  accessPermission: number;
  realms: number[];
}

export interface NewUserAclEntry {
  /** A Digest user: the device stores MD5(username:realm:password); `digestRealm` is AMT_GeneralSettings.DigestRealm. */
  digest?: { username: string; password: string; digestRealm: string };
  /** A Kerberos user or group SID, base64 of the binary SID (seed step 8.3). */
  kerberosUserSid?: string;
  accessPermission: AccessPermission;
  realms: AclRealm[];
}

/** Every user ACL handle; AMT answers at most 50 per call, so this pages by StartIndex. */
export async function enumerateUserAclEntries(client: WsmanClient): Promise<number[]> {
  const handles: number[] = [];
  for (;;) {
    const output = await client.invoke(client.amt.AuthorizationService.EnumerateUserAclEntries(handles.length + 1), SERVICE, 'EnumerateUserAclEntries');
    const page = children(output, 'Handles').map((handle) => Number(text(handle)));
    if (page.some((handle) => !Number.isInteger(handle))) throw new DeviceXmlRejected(`${SERVICE}.EnumerateUserAclEntries: a handle is not a number`);
    handles.push(...page);
    const total = numberProperty(output, 'TotalCount') ?? handles.length;
    if (page.length === 0 || handles.length >= total) return handles;
  }
}

export async function getUserAclEntryEx(client: WsmanClient, handle: number): Promise<UserAclEntry> {
  const output = await client.invoke(client.amt.AuthorizationService.GetUserAclEntryEx(handle), SERVICE, 'GetUserAclEntryEx');
  return {
    handle,
    digestUsername: stringProperty(output, 'DigestUsername'),
    kerberosUserSid: stringProperty(output, 'KerberosUserSid'),
    accessPermission: numberProperty(output, 'AccessPermission') ?? 0,
    realms: children(output, 'Realms').map((realm) => Number(text(realm))),
  };
}

export async function removeUserAclEntry(client: WsmanClient, handle: number): Promise<void> {
  await client.invoke(client.amt.AuthorizationService.RemoveUserAclEntry(handle), SERVICE, 'RemoveUserAclEntry');
}

/** Adds the entry and returns its handle. */
export async function addUserAclEntryEx(client: WsmanClient, entry: NewUserAclEntry): Promise<number> {
  if (!entry.digest && entry.kerberosUserSid === undefined) throw new AmtRequestInvalid('a user ACL entry needs a Digest user or a Kerberos SID');
  if (entry.digest && entry.digest.username.length > MAX_DIGEST_USERNAME) {
    throw new AmtRequestInvalid(`a Digest username has at most ${MAX_DIGEST_USERNAME} characters`);
  }
  const digestPassword = entry.digest
    ? digestHa1(entry.digest.username, entry.digest.digestRealm, entry.digest.password).toString('base64')
    : undefined;
  const envelope = client.amt.AuthorizationService.AddUserAclEntryEx(
    entry.accessPermission, entry.realms,
    entry.digest ? escapeXml(entry.digest.username) : undefined, digestPassword,
    entry.kerberosUserSid !== undefined ? escapeXml(entry.kerberosUserSid) : undefined,
  );
  const output = await client.invoke(envelope, SERVICE, 'AddUserAclEntryEx');
  const handle = Number(text(child(output, 'Handle')));
  if (!Number.isInteger(handle)) throw new DeviceXmlRejected(`${SERVICE}.AddUserAclEntryEx: no Handle in the answer`);
  return handle;
}
