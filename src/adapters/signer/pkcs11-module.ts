import pkcs11js from 'pkcs11js';
import { FirewallError } from '../../core/errors.ts';
import { CKR_CRYPTOKI_ALREADY_INITIALIZED, ckr, mapError } from './pkcs11-errors.ts';

export type PKCS11 = InstanceType<typeof pkcs11js.PKCS11>;

/**
 * One initialised module per library path per process: C_Initialize once (with OS locking, see
 * pkcs11-signer.ts), C_Finalize when the last signer using it closes.
 */
const modules = new Map<string, { p11: PKCS11; refs: number }>();

export function acquireModule(library: string): PKCS11 {
  const m = modules.get(library);
  if (m !== undefined) {
    m.refs++;
    return m.p11;
  }
  const p11 = new pkcs11js.PKCS11();
  try {
    p11.load(library);
  } catch (e) {
    throw new FirewallError('SIGNER_UNAVAILABLE', `cannot load PKCS#11 module ${library}: ${(e as Error).message}`, { status: 503, cause: e });
  }
  try {
    p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (e) {
    if (ckr(e) !== CKR_CRYPTOKI_ALREADY_INITIALIZED) throw mapError(e, 'C_Initialize');
  }
  modules.set(library, { p11, refs: 1 });
  return p11;
}

export function releaseModule(library: string): void {
  const m = modules.get(library);
  if (m === undefined) return;
  if (--m.refs > 0) return;
  modules.delete(library);
  try {
    m.p11.C_Finalize();
  } catch {
    /* already finalised */
  }
}

// ---- attribute helpers ------------------------------------------------------------------------
