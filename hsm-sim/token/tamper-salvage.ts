import type { Inspection } from '../store/integrity.ts';

/** What a tampered store still says about the device, each field read defensively (the file was edited by someone). */
export interface SalvagedDevice {
  serial: string;
  certificate: string;
  sealedKey: object | undefined;
  salt: string | undefined;
  generation: number;
  counterReserved: number;
  keysZeroized: { label: string; id: string }[];
}

export function salvagedDevice(t: Extract<Inspection, { kind: 'tampered' }>): SalvagedDevice {
  const raw = t.salvage.body;
  const device = typeof raw?.device === 'object' && raw.device !== null ? (raw.device as { serial?: unknown; certificate?: unknown; sealedKey?: unknown }) : {};
  return {
    serial: typeof device.serial === 'string' ? device.serial : 'unknown',
    certificate: typeof device.certificate === 'string' ? device.certificate : '',
    sealedKey: device.sealedKey !== null && typeof device.sealedKey === 'object' ? device.sealedKey : undefined,
    salt: typeof raw?.salt === 'string' ? raw.salt : undefined,
    generation: Number.isSafeInteger(raw?.generation) ? (raw!.generation as number) : 0,
    counterReserved: Number.isSafeInteger(raw?.counterReserved) ? (raw!.counterReserved as number) : 0,
    keysZeroized: Array.isArray(raw?.keys) ? (raw.keys as { label?: unknown; id?: unknown }[]).map((k) => ({ label: String(k?.label), id: String(k?.id) })) : [],
  };
}
