// One device's firmware: its flash state, the phase 1 setup transaction, unprovisioning and
// the hooks (faults, counters) the transport and the services consult. See README.md here
// for the API the services build on and the decisions taken where docs/amt-protocol.md is silent.
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import { PROVISIONING_STATE, type ProvisioningState } from '../../contract/provisioning';
import { PT_STATUS } from '../../contract/ptStatus';
import { certificatePublicKeyDer, makeCertificationRequest } from '../crypto/deviceKeys';
import { digestHa1 } from '../digest/digestMath';
import { DeviceCounters } from './counters';
import { FirmwareError, PowerLossError } from './errors';
import { createFactoryState, factoryAdmin, factoryFeatures, type DeviceSpec } from './factory';
import { FaultPlan } from './faults';
import type { FlashFile } from './flash';
import { rootHashAlgorithms, rsaKeyLengths } from './releaseRules';
import { addCertificateEntry, findCertificate, findKeyPair, generateKeyPairEntry, issuerChain } from './keyStore';
import type { PreparedKeys } from './preparedKeys';
import { firmwareDelay, TIMING_PROFILES, type TimingProfile } from './timing';
import type { CertificateEntry, FirmwareState, KeyPairEntry, ProvisioningPhase, SetupSettings, TrustedRootHash } from './types';

export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export type UnprovisionMode = 'full' | 'partial';

export interface FirmwareEvents {
  /** The provisioning phase changed (pre -> in -> post, or back by unprovision / power loss). */
  phase: [phase: ProvisioningPhase];
  /** Power lost inside the firmware (commit fault): the device runner must power the device off now. */
  'power-loss': [restoreAfterMs: number | null];
  /** The flash content changed (emitted before the write completes). */
  changed: [];
  /** ExtendProvisioningPeriod: a new provisioning period begins (the device runner restarts the Hello schedule). */
  'provisioning-period': [];
}

/** What the TLS server presents; null = refuse TLS (post-provisioning with TLS disabled). */
export interface TlsIdentity {
  privateKeyPem: string;
  certificatePem: string;
  /** Intermediate CA certificates sent after the leaf. */
  chainPems: string[];
  /** Setup sessions require the provisioning certificate (section 3); operational ones do not. */
  requireProvisioningClientCertificate: boolean;
}

export class Firmware extends EventEmitter<FirmwareEvents> {
  readonly faults = new FaultPlan();
  readonly counters = new DeviceCounters();
  /** How long the device takes (timing.ts); 'instant' unless a fleet option or the control API says otherwise. */
  timing: TimingProfile = TIMING_PROFILES.instant;
  /** Keys made ahead of GenerateKeyPair (preparedKeys.ts), or null: each call generates one. */
  preparedKeys: PreparedKeys | null = null;
  private currentPhase: ProvisioningPhase;
  private staged: Partial<SetupSettings> = {};

  private constructor(
    private readonly flash: FlashFile,
    private data: FirmwareState,
  ) {
    super();
    this.currentPhase = data.provisioningState;
  }

  /** Powers the firmware on: the stored state if the flash holds one, else the factory image of `spec`. */
  static async boot(flash: FlashFile, spec: DeviceSpec, now = new Date()): Promise<Firmware> {
    const stored = await flash.read();
    if (stored && stored.uuid !== spec.uuid) {
      throw new Error(`state file ${flash.filePath} belongs to device ${stored.uuid}, not ${spec.uuid}`);
    }
    const state = stored ?? (await createFactoryState(spec, now));
    // 'in' is never persisted; an older file holding it boots like a power cycle would.
    if (state.provisioningState === 'in') state.provisioningState = 'pre';
    const changed = stored ? Firmware.applyBootEnvironment(state, spec) : true;
    const firmware = new Firmware(flash, state);
    if (changed) await firmware.persist();
    return firmware;
  }

  /**
   * What a reboot picks up from outside the flash: the DNS suffix (DHCP option 15 is re-read
   * on every boot), the firmware version (an update may have happened), the radio when the
   * spec names it (detected hardware) and trusted root hashes the spec names that the flash
   * lacks (added like custom hashes; none are removed).
   */
  private static applyBootEnvironment(state: FirmwareState, spec: DeviceSpec): boolean {
    const missing = spec.trustedRootHashes.filter(
      (h) => !state.trustedRootHashes.some((s) => s.algorithm === h.algorithm && s.hash === h.hash.toLowerCase()),
    );
    const hasRadio = spec.hasRadio ?? state.hasRadio;
    const changed =
      missing.length > 0 || state.dnsSuffix !== spec.dnsSuffix || state.firmwareVersion !== spec.firmwareVersion || state.hasRadio !== hasRadio;
    state.trustedRootHashes.push(...missing.map((h) => ({ ...h, hash: h.hash.toLowerCase() })));
    state.dnsSuffix = spec.dnsSuffix;
    state.firmwareVersion = spec.firmwareVersion;
    state.hasRadio = hasRadio;
    return changed;
  }

  get uuid(): string {
    return this.data.uuid;
  }

  /** The committed flash content. Read-only: change it through the methods below. */
  get state(): DeepReadonly<FirmwareState> {
    return this.data;
  }

  get phase(): ProvisioningPhase {
    return this.currentPhase;
  }

  /** The numeric ProvisioningState of GetProvisioningState / AMT_SetupAndConfigurationService. */
  get provisioningStateCode(): ProvisioningState {
    return { pre: PROVISIONING_STATE.PRE_PROVISIONING, in: PROVISIONING_STATE.IN_PROVISIONING, post: PROVISIONING_STATE.POST_PROVISIONING }[this.currentPhase];
  }

  /** Trusted root hashes the device sends in Hellos and accepts in TLS: active ones of an algorithm this release uses. */
  activeRootHashes(): TrustedRootHash[] {
    const algorithms = rootHashAlgorithms(this.data.firmwareVersion);
    return this.data.trustedRootHashes.filter((h) => h.active && algorithms.includes(h.algorithm)).map((h) => ({ ...h }));
  }

  /** Device clock (host clock + offset set by time sync). */
  now(): Date {
    return new Date(Date.now() + this.data.clockOffsetMs);
  }

  async setClock(deviceTime: Date): Promise<void> {
    this.data.clockOffsetMs = deviceTime.getTime() - Date.now();
    await this.persist();
  }

  /** pre -> in, on the first authenticated request of a setup session. Returns true when the phase changed. */
  beginProvisioning(): boolean {
    if (this.currentPhase !== 'pre') return false;
    this.setPhase('in');
    return true;
  }

  /** The setup settings as the device currently sees them: committed values overlaid by staged ones. */
  settings(): SetupSettings {
    const d = this.data;
    return {
      hostName: d.hostName,
      domainName: d.domainName,
      tlsKeyHandle: d.tls.keyHandle,
      tlsCertificateHandle: d.tls.certificateHandle,
      tlsEnabled: d.tls.enabled,
      admin: { ...d.admin },
      mebxPassword: d.mebx.password,
      ...this.staged,
    };
  }

  /** Names of settings staged and not yet committed (for tests and the control API). */
  stagedSettingNames(): string[] {
    return Object.keys(this.staged);
  }

  /**
   * Changes a setup setting. In-provisioning (and pre, which this turns into in) the change is
   * staged until CommitChanges; post-provisioning it applies and persists at once.
   */
  async applySetting<K extends keyof SetupSettings>(name: K, value: SetupSettings[K]): Promise<void> {
    this.beginProvisioning();
    if (this.currentPhase === 'in') {
      this.staged[name] = value;
      return;
    }
    this.writeSettings({ [name]: value });
    await this.persist();
  }

  /** SetAdminAclEntry: the firmware keeps HA1 over its own realm, not the password. */
  async setAdminAccount(username: string, password: string): Promise<void> {
    await this.applySetting('admin', { username, ha1: digestHa1(username, this.data.digestRealm, password), setByServer: true });
  }

  /** SetTLSKeyAndCertificate by key store handles; the certificate must carry that key's public key. */
  async setTlsKeyAndCertificate(keyHandle: number, certificateHandle: number): Promise<void> {
    const key = findKeyPair(this.data.keyStore, keyHandle);
    const cert = findCertificate(this.data.keyStore, certificateHandle);
    if (certificatePublicKeyDer(cert.pem) !== key.publicKeyDer) {
      throw new FirmwareError(PT_STATUS.CERT_KEY_NOT_MATCH, `certificate ${certificateHandle} does not carry key ${keyHandle}`);
    }
    await this.applySetting('tlsKeyHandle', keyHandle);
    await this.applySetting('tlsCertificateHandle', certificateHandle);
  }

  /**
   * CommitChanges: applies the staged setup and moves in -> post. Refuses outside
   * in-provisioning (INVALID_PT_MODE) and when essential data is missing (DATA_MISSING: an
   * admin account set by the server, and in enterprise mode a TLS key + certificate with TLS
   * enabled; the emulator's reading of PT_STATUS_DATA_MISSING, docs/amt-protocol.md section 5).
   * Honors the "lose power during commit" fault by throwing PowerLossError after powering off.
   */
  async commit(): Promise<void> {
    if (this.currentPhase !== 'in') {
      throw new FirmwareError(PT_STATUS.INVALID_PT_MODE, `CommitChanges needs in-provisioning, device is ${this.currentPhase}-provisioning`);
    }
    const next = this.settings();
    const missing: string[] = [];
    if (!next.admin.setByServer) missing.push('admin ACL entry');
    if (this.data.provisioningMode === 'enterprise') {
      if (next.tlsKeyHandle === null || next.tlsCertificateHandle === null) missing.push('TLS key and certificate');
      if (!next.tlsEnabled) missing.push('TLS enabled');
    }
    if (missing.length > 0) throw new FirmwareError(PT_STATUS.DATA_MISSING, `cannot commit, missing: ${missing.join(', ')}`);
    await this.wait(this.timing.commitMs);

    const powerLoss = this.faults.takePowerLoss();
    if (powerLoss?.point === 'before-write') this.losePower(powerLoss.restoreAfterMs);
    this.writeSettings(this.staged);
    this.staged = {};
    this.data.provisioningState = 'post';
    this.data.provisionedAt = new Date().toISOString();
    await this.persist();
    if (powerLoss?.point === 'after-write') this.losePower(powerLoss.restoreAfterMs);
    this.setPhase('post');
  }

  /**
   * Any other immediate, persisted change (phase 2 settings, ACLs, features, Kerberos, power
   * scheme, wireless, 802.1X). The mutator must be synchronous and must not keep the reference.
   */
  async update(mutate: (state: FirmwareState) => void): Promise<void> {
    mutate(this.data);
    await this.persist();
  }

  /** An RSA key pair of a length this release generates (releaseRules.ts), else INVALID_PARAMETER. */
  async generateKeyPair(bits = 2048): Promise<KeyPairEntry> {
    const lengths = rsaKeyLengths(this.data.firmwareVersion);
    if (!lengths.includes(bits)) {
      throw new FirmwareError(PT_STATUS.INVALID_PARAMETER, `key length ${bits} not supported by firmware ${this.data.firmwareVersion} (${lengths.join(' or ')})`);
    }
    // The device's wait and the emulator's key (prepared, or made in the libuv pool meanwhile) overlap.
    const [entry] = await Promise.all([
      generateKeyPairEntry(this.data.keyStore, bits, this.preparedKeys?.take(bits, this.data.keyStore)),
      this.wait(this.timing.keyGenerationMs[bits] ?? 0),
    ]);
    await this.persist();
    return { ...entry };
  }

  async addCertificate(pem: string): Promise<CertificateEntry> {
    const entry = addCertificateEntry(this.data.keyStore, pem);
    await this.persist();
    return { ...entry };
  }

  /** A PKCS#10 request for a key pair the device holds, signed with that key. */
  certificationRequest(keyHandle: number, subject: { shortName: string; value: string }[]): string {
    return makeCertificationRequest(findKeyPair(this.data.keyStore, keyHandle).privateKeyPem, subject);
  }

  /** In-band SetProvisioningServerOTP (refused post-provisioning). null clears it. */
  async setOtp(otp: string | null): Promise<void> {
    if (otp !== null && this.currentPhase === 'post') {
      throw new FirmwareError(PT_STATUS.INVALID_PT_MODE, 'SetProvisioningServerOTP is refused in post-provisioning');
    }
    this.data.otp = otp;
    await this.persist();
  }

  /**
   * ExtendProvisioningPeriod: starts a new provisioning period (the Hello schedule from its
   * start, retry count 0). Refused once provisioned: there is no period to extend.
   */
  extendProvisioningPeriod(): void {
    if (this.currentPhase === 'post') {
      throw new FirmwareError(PT_STATUS.INVALID_PT_MODE, 'ExtendProvisioningPeriod is refused in post-provisioning');
    }
    this.emit('provisioning-period');
  }

  /** What the TLS server on 16993 presents now (see TlsIdentity). */
  tlsIdentity(): TlsIdentity | null {
    const { tls, keyStore } = this.data;
    if (this.currentPhase !== 'post') {
      return { ...tls.selfSigned, chainPems: [], requireProvisioningClientCertificate: true };
    }
    if (!tls.enabled) return null;
    // A selection whose key or certificate is gone (deleted by a service) falls back to the
    // self-signed certificate rather than leaving the device without a TLS port.
    const key = keyStore.keyPairs.find((k) => k.handle === tls.keyHandle);
    const cert = keyStore.certificates.find((c) => c.handle === tls.certificateHandle);
    if (!key || !cert) return { ...tls.selfSigned, chainPems: [], requireProvisioningClientCertificate: false };
    return {
      privateKeyPem: key.privateKeyPem,
      certificatePem: cert.pem,
      chainPems: issuerChain(keyStore, cert.pem),
      requireProvisioningClientCertificate: false,
    };
  }

  /**
   * Back to pre-provisioning (Intel "Restoring Intel AMT to Factory Mode"). Both modes clear
   * user ACLs, key store, TLS certificate and switch, OTP, features, Kerberos, power scheme,
   * wireless and 802.1X, and keep the MEBx password, trusted hashes and DNS suffix. Full also
   * resets the admin account to `admin` + MEBx password and clears host and domain name;
   * partial keeps the admin account and the names (the emulator's model of what "partial"
   * keeps: Intel's guide says partial retains the admin ACL).
   */
  async unprovision(mode: UnprovisionMode): Promise<void> {
    const d = this.data;
    d.userAcl = [];
    d.keyStore = { nextHandle: d.keyStore.nextHandle, keyPairs: [], certificates: [] };
    d.tls = { selfSigned: d.tls.selfSigned, keyHandle: null, certificateHandle: null, enabled: false };
    d.otp = null;
    d.features = factoryFeatures();
    d.kerberos = null;
    d.powerScheme = null;
    d.wirelessProfiles = [];
    d.ieee8021x = null;
    d.provisionedAt = null;
    d.provisioningState = 'pre';
    if (mode === 'full') {
      d.admin = factoryAdmin(d.digestRealm, d.mebx.password);
      d.hostName = '';
      d.domainName = '';
    }
    this.staged = {};
    await this.persist();
    this.setPhase('pre');
  }

  /** Power off: RAM is lost (staged setup, the in-provisioning phase); flash stays. */
  loseVolatileState(): void {
    this.staged = {};
    if (this.currentPhase !== this.data.provisioningState) this.setPhase(this.data.provisioningState);
  }

  /** Whether username/password is the current admin account (tests compare with the server's vault). */
  isAdminPassword(username: string, password: string): boolean {
    const expected = Buffer.from(this.data.admin.ha1, 'utf8');
    const given = Buffer.from(digestHa1(username, this.data.digestRealm, password), 'utf8');
    return username === this.data.admin.username && crypto.timingSafeEqual(expected, given);
  }

  private writeSettings(changes: Partial<SetupSettings>): void {
    const d = this.data;
    if (changes.hostName !== undefined) d.hostName = changes.hostName;
    if (changes.domainName !== undefined) d.domainName = changes.domainName;
    if (changes.tlsKeyHandle !== undefined) d.tls.keyHandle = changes.tlsKeyHandle;
    if (changes.tlsCertificateHandle !== undefined) d.tls.certificateHandle = changes.tlsCertificateHandle;
    if (changes.tlsEnabled !== undefined) d.tls.enabled = changes.tlsEnabled;
    if (changes.admin !== undefined) d.admin = { ...changes.admin };
    if (changes.mebxPassword !== undefined) d.mebx = { password: changes.mebxPassword, changed: true };
  }

  private losePower(restoreAfterMs: number | null): never {
    this.staged = {};
    this.emit('power-loss', restoreAfterMs);
    this.loseVolatileState();
    throw new PowerLossError('device lost power during CommitChanges');
  }

  /** A delay of the timing profile, counted. */
  private wait(ms: number): Promise<void> {
    this.counters.timingDelayMs += ms;
    return firmwareDelay(ms);
  }

  private setPhase(phase: ProvisioningPhase): void {
    this.currentPhase = phase;
    this.emit('phase', phase);
  }

  private persist(): Promise<void> {
    const written = this.flash.write(this.data);
    this.emit('changed');
    return written;
  }
}
