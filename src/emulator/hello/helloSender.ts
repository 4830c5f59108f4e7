// Sends one device's Hellos on the seed's schedule: a TCP connection from the device's own
// address to the provisioning server, one Hello, close. Every attempt counts as a retry,
// whether or not the server was reachable (the firmware cannot tell a lost Hello from a
// dropped one).
import net from 'node:net';
import type { DeviceCounters } from '../firmware/counters';
import { delayBeforeHelloMs } from './helloSchedule';

export interface HelloTarget {
  host: string;
  port: number;
}

export interface HelloSenderOptions {
  /** Address the device connects from (its own IP), so the server learns it from the peer address. */
  localAddress: string;
  target: HelloTarget;
  timeScale: number;
  /** Builds the Hello for this retry count (contents may change between sends). */
  buildHello: (retryCount: number) => Buffer;
  counters: DeviceCounters;
  /** Extra delay before each connection (fault injection), read at send time. */
  latencyMs: () => number;
}

const CONNECT_TIMEOUT_MS = 10_000;

export class HelloSender {
  private timer: NodeJS.Timeout | null = null;
  private nextIndex = 0;
  private period = 0;

  constructor(private readonly options: HelloSenderOptions) {}

  /** Hellos sent (attempted) in the current provisioning period: the next Hello's retry count. */
  get retryCount(): number {
    return this.nextIndex;
  }

  get running(): boolean {
    return this.timer !== null;
  }

  /** Starts a new provisioning period: retry count 0, first Hello now. */
  restart(): void {
    this.stop();
    this.nextIndex = 0;
    this.scheduleNext();
  }

  /** Starts a new provisioning period without sending yet (the device is being provisioned): retry count 0, schedule stopped. */
  resetPeriod(): void {
    this.stop();
    this.nextIndex = 0;
  }

  /** Stops the schedule; a Hello already waiting on injected latency is not sent. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.period += 1;
  }

  private scheduleNext(): void {
    const delay = delayBeforeHelloMs(this.nextIndex, this.options.timeScale);
    if (delay === null) {
      this.timer = null;
      return;
    }
    const period = this.period;
    this.timer = setTimeout(() => {
      const retryCount = this.nextIndex;
      this.nextIndex += 1;
      this.scheduleNext();
      void this.send(retryCount, period);
    }, delay);
    this.timer.unref();
  }

  private async send(retryCount: number, period: number): Promise<void> {
    const latency = this.options.latencyMs();
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    if (period !== this.period) return;
    const hello = this.options.buildHello(retryCount);
    const { counters, target, localAddress } = this.options;
    await new Promise<void>((resolve) => {
      const socket = net.connect({ host: target.host, port: target.port, localAddress });
      socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy(new Error('hello connection timed out')));
      socket.once('connect', () => {
        socket.end(hello, () => {
          counters.hellosSent += 1;
        });
      });
      socket.once('error', () => {
        counters.helloSendErrors += 1;
        resolve();
      });
      socket.once('close', () => resolve());
      // The server may close first; its data, if any, is not read.
      socket.resume();
    });
  }
}
