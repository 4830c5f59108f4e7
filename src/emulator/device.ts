// One emulated AMT device: its firmware plus what a powered device runs (TLS port 16993,
// plain port 16992, Hello sender, host interface), all on the device's own loopback IP.
// Power off drops every connection and RAM state; power on is the rest of a power cycle.
import net from 'node:net';
import path from 'node:path';
import { DigestAuthority } from './digest/digestAuthority';
import type { DeviceSpec } from './firmware/factory';
import { Firmware } from './firmware/firmware';
import { FlashFile } from './firmware/flash';
import { PreparedKeys } from './firmware/preparedKeys';
import type { TimingProfile } from './firmware/timing';
import type { ProvisioningPhase } from './firmware/types';
import { encodeHello } from './hello/helloMessage';
import { HelloSender, type HelloTarget } from './hello/helloSender';
import { HostInterface } from './hostInterface/hostInterface';
import type { DeviceHttpFrontend } from './http/deviceHttp';
import { DeviceTlsPort } from './tls/deviceTlsPort';

export interface DeviceConfig {
  index: number;
  ip: string;
  spec: DeviceSpec;
  stateDir: string;
  /** Where Hellos go; null = this device sends none. */
  helloTarget: HelloTarget | null;
  timeScale: number;
  heciPresent: boolean;
  nonceLifetimeMs: number;
  ports: { http: number; https: number };
  /** How long the device takes to answer (firmware/timing.ts); absent = instant. */
  timing?: TimingProfile;
  /** Make a key ahead of GenerateKeyPair, kept beside the flash file (firmware/preparedKeys.ts). */
  preparedKeys?: boolean;
}

export interface DeviceSummary {
  index: number;
  uuid: string;
  ip: string;
  powered: boolean;
  phase: ProvisioningPhase;
  provisioningState: number;
  firmwareVersion: string;
  heciPresent: boolean;
  /** A Wi-Fi radio is fitted (firmware fact, persisted). */
  hasRadio: boolean;
  /** Unix socket of the host interface while it exists (device on, HECI present). */
  hostInterfacePath: string | null;
  hello: { running: boolean; retryCount: number } | null;
}

export class EmulatedDevice {
  readonly digest: DigestAuthority;
  private readonly hello: HelloSender | null;
  private readonly tlsPort: DeviceTlsPort;
  private readonly hostInterface: HostInterface;
  private readonly sockets = new Set<net.Socket>();
  private plainServer: net.Server | null = null;
  private isPowered = false;
  private heciPresent: boolean;
  /** Pending automatic power-on after a power-loss fault; an explicit power off cancels it. */
  private restoreTimer: NodeJS.Timeout | null = null;
  /** Power transitions and host interface changes run one at a time. */
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    readonly config: DeviceConfig,
    readonly firmware: Firmware,
    private readonly frontend: DeviceHttpFrontend,
  ) {
    this.heciPresent = config.heciPresent;
    this.digest = new DigestAuthority(() => firmware.state.digestRealm, config.nonceLifetimeMs);
    this.hello = config.helloTarget
      ? new HelloSender({
          localAddress: config.ip,
          target: config.helloTarget,
          timeScale: config.timeScale,
          counters: firmware.counters,
          latencyMs: () => firmware.faults.latencyMs,
          buildHello: (retryCount) =>
            encodeHello({
              adminCredentialsSet: firmware.state.admin.setByServer,
              retryCount,
              uuid: firmware.uuid,
              hashes: firmware.activeRootHashes(),
            }),
        })
      : null;
    this.tlsPort = new DeviceTlsPort({
      host: config.ip,
      port: config.ports.https,
      firmware,
      onRawSocket: (socket) => this.track(socket),
      onSession: (socket) => this.frontend.serve(socket, this, 'tls'),
      onRetire: (socket) => this.frontend.retire(socket),
    });
    this.hostInterface = new HostInterface({
      socketPath: path.join(config.stateDir, `${firmware.uuid}.sock`),
      firmware,
      startNetworkInterface: () => this.hello?.restart(),
    });
    firmware.on('phase', (phase) => this.onPhase(phase));
    firmware.on('changed', () => this.refreshTls());
    firmware.on('provisioning-period', () => {
      if (this.isPowered && firmware.phase === 'pre') this.hello?.restart();
      else this.hello?.resetPeriod();
    });
    firmware.on('power-loss', (restoreAfterMs) => {
      this.dropEverything();
      void this.enqueue(() => this.shutDown());
      if (restoreAfterMs !== null) {
        this.restoreTimer = setTimeout(() => {
          this.restoreTimer = null;
          void this.powerOn();
        }, restoreAfterMs);
        this.restoreTimer.unref();
      }
    });
  }

  /** Loads (or creates at first boot) the device's flash; the device stays off until powerOn. */
  static async boot(config: DeviceConfig, frontend: DeviceHttpFrontend): Promise<EmulatedDevice> {
    const flash = new FlashFile(path.join(config.stateDir, `${config.spec.uuid}.json`));
    const firmware = await Firmware.boot(flash, config.spec);
    if (config.timing) firmware.timing = config.timing;
    if (config.preparedKeys) firmware.preparedKeys = await PreparedKeys.load(path.join(config.stateDir, `${config.spec.uuid}.keys.json`));
    return new EmulatedDevice(config, firmware, frontend);
  }

  get powered(): boolean {
    return this.isPowered;
  }

  powerOn(): Promise<void> {
    return this.enqueue(async () => {
      if (this.isPowered) return;
      this.firmware.loseVolatileState();
      this.isPowered = true;
      try {
        await this.tlsPort.listen();
        this.plainServer = await this.listenPlain();
        if (this.heciPresent) await this.hostInterface.open();
      } catch (err) {
        await this.shutDown();
        throw err;
      }
      if (this.firmware.phase === 'pre') this.hello?.restart();
    });
  }

  powerOff(): Promise<void> {
    if (this.restoreTimer) clearTimeout(this.restoreTimer);
    this.restoreTimer = null;
    this.dropEverything();
    return this.enqueue(() => this.shutDown());
  }

  async powerCycle(): Promise<void> {
    await this.powerOff();
    await this.powerOn();
  }

  /** HECI driver present or absent: the host interface socket exists only when present (and powered). */
  setHeciPresent(present: boolean): Promise<void> {
    this.heciPresent = present;
    return this.enqueue(async () => {
      if (present && this.isPowered) await this.hostInterface.open();
      if (!present) await this.hostInterface.close();
    });
  }

  /** A new Hello period (what ExtendProvisioningPeriod and startNetworkInterface do), if the device is on and unprovisioned. */
  restartHellos(): void {
    if (this.isPowered && this.firmware.phase === 'pre') this.hello?.restart();
  }

  summary(): DeviceSummary {
    return {
      index: this.config.index,
      uuid: this.firmware.uuid,
      ip: this.config.ip,
      powered: this.isPowered,
      phase: this.firmware.phase,
      provisioningState: this.firmware.provisioningStateCode,
      firmwareVersion: this.firmware.state.firmwareVersion,
      heciPresent: this.heciPresent,
      hasRadio: this.firmware.state.hasRadio,
      hostInterfacePath: this.hostInterface.listening ? path.join(this.config.stateDir, `${this.firmware.uuid}.sock`) : null,
      hello: this.hello ? { running: this.hello.running, retryCount: this.hello.retryCount } : null,
    };
  }

  private onPhase(phase: ProvisioningPhase): void {
    if (!this.isPowered) return;
    if (phase === 'pre') this.hello?.restart();
    else this.hello?.stop();
    this.refreshTls();
  }

  /**
   * Synchronous, inside the firmware event: the TLS identity switches before the request that
   * changed it (e.g. CommitChanges) is answered, so that answer closes its connection.
   */
  private refreshTls(): void {
    if (!this.isPowered) return;
    try {
      this.tlsPort.refresh();
    } catch (err) {
      console.error(`emulated device ${this.config.ip}: TLS identity: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** The synchronous half of power off: nothing answers from here on. */
  private dropEverything(): void {
    this.isPowered = false;
    this.hello?.stop();
    for (const socket of this.sockets) socket.destroy();
  }

  private async shutDown(): Promise<void> {
    this.dropEverything();
    const plain = this.plainServer;
    this.plainServer = null;
    await Promise.all([
      this.tlsPort.close(),
      this.hostInterface.close(),
      plain ? new Promise<void>((resolve) => plain.close(() => resolve())) : Promise.resolve(),
    ]);
    this.firmware.loseVolatileState();
    this.digest.expireNonces();
  }

  private listenPlain(): Promise<net.Server> {
    const server = net.createServer((socket) => {
      this.track(socket);
      this.frontend.serve(socket, this, 'plain');
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.config.ip, port: this.config.ports.http }, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  }

  private track(socket: net.Socket): void {
    if (!this.isPowered) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step);
    this.queue = run.catch((err: unknown) => {
      console.error(`emulated device ${this.config.ip}: ${err instanceof Error ? err.message : String(err)}`);
    });
    return run;
  }
}
