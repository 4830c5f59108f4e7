// Who may change the device through the services. AMT gives the administrator every realm and
// user ACL entries the realms they were added with (AddUserAclEntryEx). The emulator does not
// map each class and operation to its realm (docs/amt-protocol.md is silent; the emulator's
// choice): the administrator and users holding PTAdministrationRealm may change anything,
// every other user may only read (WS-Man Get / Enumerate / Pull, EOI Get* operations).
import type { ServiceContext } from '../http/serviceRouter';

/** AMT_AuthorizationService realm value of "PT Administration" (wsman-messages RealmValues). */
export const PT_ADMINISTRATION_REALM = 3;

export function mayAdminister(ctx: ServiceContext): boolean {
  const fw = ctx.firmware;
  if (ctx.username === fw.state.admin.username) return true;
  const entry = fw.state.userAcl.find((e) => e.digestUsername === ctx.username);
  return entry?.realms.includes(PT_ADMINISTRATION_REALM) ?? false;
}
