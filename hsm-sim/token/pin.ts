/**
 * PINs at rest: scrypt with a per-PIN salt; compared in constant time. The clear PIN exists only
 * for the duration of a login request and never reaches a log line or an error.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import { constantTimeEqual } from '../../src/core/constant-time.ts';
import type { PinRecord } from '../store/schema.ts';

export const PIN_MIN_LENGTH = 6;
export const PIN_MAX_LENGTH = 128;
export const DEFAULT_MAX_PIN_FAILURES = 5;

const SCRYPT = { N: 1 << 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

function derive(pin: string, salt: Buffer): Buffer {
  return scryptSync(Buffer.from(pin, 'utf8'), salt, 32, SCRYPT);
}

export function newPinRecord(pin: string): PinRecord {
  const salt = randomBytes(16);
  return { salt: salt.toString('base64'), hash: derive(pin, salt).toString('base64'), failures: 0, locked: false };
}

export function pinMatches(record: PinRecord, pin: string): boolean {
  return constantTimeEqual(derive(pin, Buffer.from(record.salt, 'base64')), Buffer.from(record.hash, 'base64'));
}
