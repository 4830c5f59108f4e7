// Where the replay fixtures live: one recorded provisioning run per firmware family, and one unprovision run.
import path from 'node:path';
import type { FirmwareFamily } from '../../src/contract/firmwareFamilies';

export const FAMILIES = ['modern', 'early'] as const satisfies readonly FirmwareFamily[];
export const fixturePath = (family: FirmwareFamily): string => path.join(__dirname, 'fixtures', `provisionDevice-out-of-band-${family}.json`);
export const unprovisionFixturePath = path.join(__dirname, 'fixtures', 'unprovisionDevice-partial-reprovision-modern.json');
