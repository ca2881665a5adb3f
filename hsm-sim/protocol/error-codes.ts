/**
 * Every error the device can answer with. Clients branch on these codes; messages are for people.
 * docs/hsm.md lists when each is returned.
 */
import { FirewallError } from '../../src/core/errors.ts';

export const DEVICE_ERROR_CODES = [
  // framing and request shape
  'FRAME_TOO_LARGE',
  'FRAME_MALFORMED',
  'REQUEST_INVALID',
  'UNKNOWN_OPERATION',
  // sessions and roles
  'NOT_LOGGED_IN',
  'ALREADY_LOGGED_IN',
  'OPERATION_NOT_PERMITTED',
  'SESSION_CLOSED',
  'CLIENT_NOT_AUTHORIZED',
  // PINs
  'PIN_INCORRECT',
  'PIN_LOCKED',
  'PIN_INVALID',
  'USER_PIN_NOT_INITIALIZED',
  // token lifecycle
  'TOKEN_NOT_INITIALIZED',
  'TOKEN_ALREADY_INITIALIZED',
  // keys
  'KEY_NOT_FOUND',
  'KEY_EXISTS',
  'MECHANISM_NOT_ALLOWED',
  'PURPOSE_NOT_ALLOWED',
  'KEY_NOT_EXTRACTABLE',
  'DECRYPT_FAILED',
  // device
  'DEVICE_ZEROIZED',
  'INTERNAL_ERROR',
] as const;

export type DeviceErrorCode = (typeof DEVICE_ERROR_CODES)[number];

const known = new Set<string>(DEVICE_ERROR_CODES);

export function isDeviceErrorCode(code: unknown): code is DeviceErrorCode {
  return typeof code === 'string' && known.has(code);
}

export function deviceError(code: DeviceErrorCode, message: string, detail?: Record<string, unknown>): FirewallError {
  return new FirewallError(code, message, detail === undefined ? undefined : { detail });
}
