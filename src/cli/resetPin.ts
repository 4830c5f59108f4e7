// `amtprov reset-pin`: forget the device certificate pinned on first contact, after an
// operator has made sure the device really changed (e.g. a replaced board keeps its UUID).
import { EXIT, operatorActor, parseCli, processIo } from './support';
import { findComputer, operatorContext } from './operatorClient';

const USAGE = `usage: amtprov reset-pin <uuid or NetBIOS name>

Forgets the device certificate fingerprint pinned at first contact. The next run pins
whatever certificate the device presents, so do this only when you know why it changed:
the pin is what stops another machine from answering at the device's address.`;

export async function runResetPinCommand(argv: string[]): Promise<number> {
  const parsed = parseCli(argv, {}, processIo, USAGE);
  if (typeof parsed === 'number') return parsed;
  const { positionals } = parsed;
  if (positionals.length !== 1) {
    processIo.err(`expected one computer (UUID or NetBIOS name)\n\n${USAGE}`);
    return EXIT.usage;
  }
  const ctx = await operatorContext();
  try {
    const computer = await findComputer(ctx.store, positionals[0]);
    await ctx.store.transaction(async (tx) => {
      await tx.computers.resetDeviceCertificatePin(computer.id);
      await tx.audit.recordAudit({
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
