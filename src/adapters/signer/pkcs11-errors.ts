/** How PKCS#11 failures become FirewallErrors: the token gone (503), a wrong or locked PIN, anything else. */
import pkcs11js from 'pkcs11js';
import { FirewallError } from '../../core/errors.ts';

/** PKCS#11 return values (v3.0) that pkcs11js does not export. */
export const CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x191;
export const CKR_USER_ALREADY_LOGGED_IN = 0x100;

/** Return values that mean the token or its sessions are gone, not that the request was wrong. */
const UNAVAILABLE = new Set([
  pkcs11js.CKR_DEVICE_ERROR,
  pkcs11js.CKR_DEVICE_REMOVED,
  pkcs11js.CKR_TOKEN_NOT_PRESENT,
  pkcs11js.CKR_SESSION_CLOSED,
  pkcs11js.CKR_SESSION_HANDLE_INVALID,
  pkcs11js.CKR_DEVICE_MEMORY,
  pkcs11js.CKR_CRYPTOKI_NOT_INITIALIZED,
  pkcs11js.CKR_USER_NOT_LOGGED_IN,
]);

function ckrName(code: number): string {
  for (const [k, v] of Object.entries(pkcs11js)) if (k.startsWith('CKR_') && v === code) return k;
  return `0x${code.toString(16)}`;
}

export function ckr(e: unknown): number | undefined {
  if (e instanceof pkcs11js.Pkcs11Error) return e.code;
  // A few pkcs11js methods (C_SetAttributeValue, C_CreateObject) throw plain Errors "CKR_NAME:code".
  const m = e instanceof Error ? /CKR_\w+:(\d+)/.exec(e.message) : null;
  return m === null ? undefined : Number(m[1]);
}

/** Map a PKCS#11 failure to a FirewallError; never includes attribute values. */
export function mapError(e: unknown, what: string): FirewallError {
  if (e instanceof FirewallError) return e;
  const code = ckr(e);
  if (code === pkcs11js.CKR_PIN_INCORRECT) return new FirewallError('PIN_INCORRECT', `PKCS#11 ${what}: wrong user PIN`, { cause: e });
  if (code === pkcs11js.CKR_PIN_LOCKED) return new FirewallError('PIN_LOCKED', `PKCS#11 ${what}: the user PIN is locked`, { cause: e });
  if (code !== undefined && UNAVAILABLE.has(code)) {
    return new FirewallError('SIGNER_UNAVAILABLE', `PKCS#11 ${what}: ${ckrName(code)}`, { status: 503, cause: e, detail: { ckr: ckrName(code) } });
  }
  const name = code === undefined ? (e instanceof Error ? e.message : String(e)) : ckrName(code);
  return new FirewallError('PKCS11_ERROR', `PKCS#11 ${what} failed: ${name}`, { cause: e, detail: { ckr: name } });
}

// ---- one initialised module per library path per process ---------------------------------------
