// `amtprov reset-pin`: forget the device certificate pinned on first contact, after an
// operator has made sure the device really changed (e.g. a replaced board keeps its UUID).
import { parseArgs } from 'node:util';
import { operatorActor } from './support';
import { findComputer, operatorContext } from './operatorClient';

const USAGE = `usage: amtprov reset-pin <uuid or NetBIOS name>

Forgets the device certificate fingerprint pinned at first contact. The next run pins
whatever certificate the device presents, so do this only when you know why it changed:
the pin is what stops another machine from answering at the device's address.`;

export async function runResetPinCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new Error(`expected one computer (UUID or NetBIOS name)\n\n${USAGE}`);
  const ctx = operatorContext();
  try {
    const computer = findComputer(ctx.store, positionals[0]);
    ctx.store.transaction(() => {
      ctx.store.computers.resetDeviceCertificatePin(computer.id);
      ctx.store.audit.recordAudit({
        actor: operatorActor(), action: 'computer.reset-pin', computerUuid: computer.uuid, outcome: 'info',
        detail: { previous: computer.deviceCertFingerprint },
      });
    });
    process.stdout.write(`${computer.netbiosName}: device certificate pin ${computer.deviceCertFingerprint ? `${computer.deviceCertFingerprint.slice(0, 16)}... forgotten` : 'was not set'}\n`);
    return 0;
  } finally {
    await ctx.close();
  }
}
