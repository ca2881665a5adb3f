/**
 * A fresh SoftHSMv2 token for a test, made by scripts/softhsm-init.sh (the same script CI uses).
 * SOFTHSM2_CONF is process-wide and read at C_Initialize, so it is set here before a signer opens;
 * the signer finalises the module when its last user closes, so the next test can point elsewhere.
 */
import { resolve } from 'node:path';
import { run } from '../hsm/helpers.ts';

export const SOFTHSM_SO_PIN = '87654321';
export const SOFTHSM_USER_PIN = '246813';

const SCRIPT = resolve(import.meta.dirname, '../../scripts/softhsm-init.sh');

export async function initSoftHsmToken(dir: string, label: string): Promise<{ conf: string; library: string }> {
  const r = await run('bash', [SCRIPT, dir, label, SOFTHSM_SO_PIN, SOFTHSM_USER_PIN]);
  if (r.code !== 0) throw new Error(`softhsm-init.sh failed: ${r.stderr}`);
  const vars = Object.fromEntries([...r.stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.replace(/^'(.*)'$/, '$1')]));
  const conf = vars.SOFTHSM2_CONF!;
  const library = vars.PKCS11_LIBRARY!;
  process.env.SOFTHSM2_CONF = conf;
  return { conf, library };
}
