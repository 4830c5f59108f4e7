// What an operator has after `npm start`, for a browser test: the Temporal dev server with
// its Web UI started exactly as the embedded stack starts it (src/stack/devServer.ts, with
// `--ui-codec-endpoint`), the project's codec endpoint holding the stack's keys, and a
// provisioning stack (emulated fleet, listener, worker) on it; plus a headless Chromium.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { startDevServer, type DevServerHandle } from '../../../src/stack/devServer';
import { loadDevStackConfig } from '../../../src/config/temporalDev';
import { freePort } from '../../../src/net/ports';
import { startCodecServer, type CodecServer } from '../../../src/temporal/codecServer';
import type { TestDirectory } from '../../support/ad';
import { startProvisioningStack, type ProvisioningStack } from '../../support/provisioningStack';

export const CHROMIUM = process.env.AMTPROV_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Headless, and without Chromium's own background traffic (updates, sync, field trials):
 * on a closed network those connections are refused and slow the page down.
 */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (as .ci/run does) or set AMTPROV_CHROMIUM to a Chromium binary`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface UiStack {
  temporal: DevServerHandle;
  codec: CodecServer;
  stack: ProvisioningStack;
  stop(): Promise<void>;
}

/**
 * Temporal, UI and codec endpoint on free ports of 127.0.0.1 (dev server 1.9.1 dials its
 * internal services on 127.0.0.1 whatever `--ip` says), the fleet from `baseIp`.
 */
export async function startUiStack(options: { t: TestContext; directory: TestDirectory; baseIp: string; devices: number }): Promise<UiStack> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-ui-'));
  const base = loadDevStackConfig();
  const ip = '127.0.0.1';
  const config = {
    ...base,
    server: { ...base.server, ip, port: await freePort(ip), uiPort: await freePort(ip), uiCodecPort: await freePort(ip), dbFile: path.join(dir, 'temporal.sqlite'), logLevel: 'error' as const },
  };
  // The UI learns the endpoint at start; the endpoint needs the stack's codec keys, made after.
  const codecUrl = `http://${ip}:${config.server.uiCodecPort}`;
  const temporal = await startDevServer(config, { logDir: dir, codecEndpoint: codecUrl });
  const stops: (() => Promise<void>)[] = [async () => { await temporal.stop(); rmSync(dir, { recursive: true, force: true }); }];
  const stop = async (): Promise<void> => { for (const s of stops.reverse()) await s(); };
  try {
    const stack = await startProvisioningStack({
      temporal: { address: temporal.address, namespace: temporal.namespace }, directory: options.directory, t: options.t,
      baseIp: options.baseIp, devices: options.devices,
    });
    stops.push(() => stack.stop());
    const codec = await startCodecServer({ host: ip, port: config.server.uiCodecPort, keys: stack.codecKeys, allowedOrigin: temporal.uiUrl });
    stops.push(() => codec.close());
    return { temporal, codec, stack, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
