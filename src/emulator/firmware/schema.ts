// State files written by older emulator versions, brought to the current layout on load so an
// existing state directory (e.g. the demo's) keeps its devices' provisioning state.
import type { FirmwareState } from './types';

export const FIRMWARE_STATE_SCHEMA = 2;

/** Schema 1 kept an RC4 master key flat in `kerberos` and had no radio fact (every device had one). */
interface SchemaOneKerberos {
  realm: string;
  keyVersion: number;
  masterKey: string;
  enabled: boolean;
}

function fromSchemaOne(state: Record<string, unknown>): FirmwareState {
  const kerberos = state.kerberos as SchemaOneKerberos | null;
  return {
    ...(state as unknown as FirmwareState),
    schema: 2,
    hasRadio: true,
    kerberos: kerberos && {
      realm: kerberos.realm,
      keyVersion: kerberos.keyVersion,
      enabled: kerberos.enabled,
      maximumClockTolerance: 5,
      key: kerberos.masterKey === '' ? null : { kind: 'rc4-hmac', masterKey: kerberos.masterKey },
    },
  };
}

/** The state in the current layout, or null when the schema is unknown. */
export function upgradeFirmwareState(parsed: Record<string, unknown>): FirmwareState | null {
  if (parsed.schema === FIRMWARE_STATE_SCHEMA) return parsed as unknown as FirmwareState;
  if (parsed.schema === 1) return fromSchemaOne(parsed);
  return null;
}
