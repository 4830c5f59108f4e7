// AMT_AuthorizationService (seed step 8.1): user ACL entries for Digest users and Kerberos
// SIDs; on AMT 6 and later also the admin account of phase 1 (SetAdminAclEntryEx). Methods return PT_STATUS (AMT SDK; wsman-messages AuthorizationService docs).
import { WSMAN_SETUP_SINCE_MAJOR } from '../../../../contract/firmwareFamilies';
import { PT_STATUS } from '../../../../contract/ptStatus';
import type { DeepReadonly } from '../../../firmware/firmware';
import type { UserAclEntry } from '../../../firmware/types';
import { refuse } from '../../refusal';
import { setAdminAclEntry } from '../../setupOperations';
import { digestPasswordToHa1, kerberosSidProblem, usernameProblem } from '../../validation/credentials';
import { amtUri, serviceInstance, wsmanMethod, type WsmanClass } from '../classModel';

const NAME = 'AMT_AuthorizationService';

/** Realm values AMT knows (wsman-messages AuthorizationService.RealmValues). */
export const KNOWN_REALMS: ReadonlySet<number> = new Set([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 17, 18, 19, 20, 21, 24]);
/** AccessPermission: 0 local only, 1 network only, 2 local and network. */
const ACCESS_PERMISSIONS: ReadonlySet<number> = new Set([0, 1, 2]);
/** The emulator's choice: public material gives no limit on user entries. */
export const MAX_USER_ACL_ENTRIES = 32;
/** EnumerateUserAclEntries returns at most this many handles per call (wsman-messages docs). */
export const HANDLES_PER_ENUMERATION = 50;

type StoredEntries = readonly DeepReadonly<UserAclEntry>[];

function findEntry(entries: StoredEntries, handle: number): DeepReadonly<UserAclEntry> {
  const entry = entries.find((e) => e.handle === handle);
  if (!entry) refuse(PT_STATUS.INVALID_HANDLE, `no user ACL entry with handle ${handle}`);
  return entry;
}

interface NewEntry {
  DigestUsername?: string;
  DigestPassword?: string;
  KerberosUserSid?: string;
  AccessPermission: number;
  Realms: number[];
}

/** Validates an AddUserAclEntryEx request (digest XOR Kerberos, known realms, no duplicates, room). */
export function checkNewEntry(input: NewEntry, existing: StoredEntries, adminUsername: string): Omit<UserAclEntry, 'handle'> {
  const digest = input.DigestUsername !== undefined || input.DigestPassword !== undefined;
  const kerberos = input.KerberosUserSid !== undefined;
  if (digest === kerberos) refuse(PT_STATUS.INVALID_PARAMETER, 'an entry is either a Digest user (name and password) or a Kerberos SID');
  if (!ACCESS_PERMISSIONS.has(input.AccessPermission)) refuse(PT_STATUS.INVALID_PARAMETER, `AccessPermission ${input.AccessPermission} is not 0, 1 or 2`);
  if (input.Realms.length === 0) refuse(PT_STATUS.INVALID_REALM, 'an entry needs at least one realm');
  const unknown = input.Realms.find((r) => !KNOWN_REALMS.has(r));
  if (unknown !== undefined) refuse(PT_STATUS.INVALID_REALM, `realm ${unknown} is not an AMT realm`);
  if (new Set(input.Realms).size !== input.Realms.length) refuse(PT_STATUS.INVALID_REALM, 'a realm is listed twice');
  if (existing.length >= MAX_USER_ACL_ENTRIES) refuse(PT_STATUS.MAX_LIMIT_REACHED, `the device holds ${MAX_USER_ACL_ENTRIES} user entries already`);
  const common = { accessPermission: input.AccessPermission, realms: [...input.Realms] };
  if (kerberos) {
    const sid = input.KerberosUserSid as string;
    const problem = kerberosSidProblem(sid);
    if (problem) refuse(PT_STATUS.INVALID_PARAMETER, problem);
    if (existing.some((e) => e.kerberosUserSid === sid)) refuse(PT_STATUS.DUPLICATE, 'an entry for this SID exists');
    return { kerberosUserSid: sid, ...common };
  }
  if (input.DigestUsername === undefined || input.DigestPassword === undefined) refuse(PT_STATUS.INVALID_PARAMETER, 'a Digest entry needs DigestUsername and DigestPassword');
  const nameProblem = usernameProblem(input.DigestUsername, true);
  if (nameProblem) refuse(PT_STATUS.INVALID_NAME, nameProblem);
  const ha1 = digestPasswordToHa1(input.DigestPassword);
  if (ha1 === null) refuse(PT_STATUS.INVALID_PASSWORD, 'DigestPassword is not base64 of a 16-byte MD5 hash');
  const name = input.DigestUsername;
  if (name === adminUsername || existing.some((e) => e.digestUsername === name)) refuse(PT_STATUS.DUPLICATE, `an account named ${name} exists`);
  return { digestUsername: name, digestHa1: ha1, ...common };
}

export const authorizationService: WsmanClass = {
  name: NAME,
  resourceUri: amtUri(NAME),
  singleton: true,
  instances: () => [serviceInstance(NAME, 'Intel(r) AMT Authorization Service', { AllowHttpQopAuthOnly: 1 })],
  methods: {
    EnumerateUserAclEntries: wsmanMethod({
      input: { StartIndex: { type: 'uint', required: true } },
      readOnly: true,
      run: ({ fw }, { StartIndex }) => {
        if (StartIndex < 1) refuse(PT_STATUS.INVALID_INDEX, 'StartIndex starts at 1');
        const handles = fw.state.userAcl.map((e) => e.handle).slice(StartIndex - 1, StartIndex - 1 + HANDLES_PER_ENUMERATION);
        return { returnValue: PT_STATUS.SUCCESS, output: { TotalCount: fw.state.userAcl.length, HandlesCount: handles.length, Handles: handles } };
      },
    }),

    GetUserAclEntryEx: wsmanMethod({
      input: { Handle: { type: 'uint', required: true } },
      readOnly: true,
      run: ({ fw }, { Handle }) => {
        const entry = findEntry(fw.state.userAcl, Handle);
        // The password hash is confidential: AMT omits it (wsman-messages GetUserAclEntryEx docs).
        return {
          returnValue: PT_STATUS.SUCCESS,
          output: { DigestUsername: entry.digestUsername, KerberosUserSid: entry.kerberosUserSid, AccessPermission: entry.accessPermission, Realms: entry.realms },
        };
      },
    }),

    RemoveUserAclEntry: wsmanMethod({
      input: { Handle: { type: 'uint', required: true } },
      run: async ({ fw }, { Handle }) => {
        findEntry(fw.state.userAcl, Handle);
        await fw.update((s) => {
          s.userAcl = s.userAcl.filter((e) => e.handle !== Handle);
        });
        return { returnValue: PT_STATUS.SUCCESS };
      },
    }),

    AddUserAclEntryEx: wsmanMethod({
      input: {
        DigestUsername: { type: 'string' },
        DigestPassword: { type: 'base64' },
        KerberosUserSid: { type: 'base64' },
        AccessPermission: { type: 'uint', required: true },
        Realms: { type: 'uint', array: true },
      },
      run: async ({ fw }, input) => {
        const entry = checkNewEntry({ ...input, Realms: input.Realms ?? [] }, fw.state.userAcl, fw.state.admin.username);
        const handle = Math.max(0, ...fw.state.userAcl.map((e) => e.handle)) + 1;
        await fw.update((s) => {
          s.userAcl.push({ handle, ...entry });
        });
        return { returnValue: PT_STATUS.SUCCESS, output: { Handle: handle } };
      },
    }),

    /** The admin account (seed 7.4, docs/amt-protocol.md section 9): the same rules as EOI SetAdminAclEntry; staged until commit. */
    SetAdminAclEntryEx: wsmanMethod({
      input: { Username: { type: 'string', required: true }, DigestPassword: { type: 'base64', required: true } },
      sinceMajor: WSMAN_SETUP_SINCE_MAJOR,
      run: async ({ fw }, { Username, DigestPassword }) => {
        await setAdminAclEntry(fw, Username, DigestPassword);
        return { returnValue: PT_STATUS.SUCCESS };
      },
    }),
  },
};
