import { FirewallError } from '../../core/errors.ts';

/** How the PKCS#11 signer finds its token and names its keys (docs/hsm.md). */
export interface Pkcs11SignerOptions {
  /** Path of the PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so). */
  library: string;
  /** CKU_USER PIN. */
  pin: string;
  /** Select the token by label (preferred), else by slot index among slots with a token. */
  tokenLabel?: string;
  slotIndex?: number;
  /** Labels are `<labelPrefix>-<purpose>`. Default "analog-firewall". */
  labelPrefix?: string;
  /** Concurrent sessions. Default 4. */
  poolSize?: number;
  /** How CKA_EC_PARAMS names Ed25519: DER OID (default, PKCS#11 3.0) or the "edwards25519" string. */
  eddsaParams?: 'oid' | 'name';
}

export type ResolvedOptions = Required<Omit<Pkcs11SignerOptions, 'tokenLabel' | 'slotIndex'>> & Pick<Pkcs11SignerOptions, 'tokenLabel' | 'slotIndex'>;

/** The options from PKCS11_LIBRARY, PKCS11_PIN, PKCS11_TOKEN_LABEL or PKCS11_SLOT, PKCS11_POOL_SIZE, PKCS11_EDDSA_PARAMS, SIGNER_LABEL_PREFIX. */
export function pkcs11SignerOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Pkcs11SignerOptions {
  const library = env.PKCS11_LIBRARY;
  const pin = env.PKCS11_PIN;
  if (library === undefined || library === '') throw new FirewallError('SIGNER_CONFIG_INVALID', 'PKCS11_LIBRARY is not set');
  if (pin === undefined || pin === '') throw new FirewallError('SIGNER_CONFIG_INVALID', 'PKCS11_PIN is not set');
  const opts: Pkcs11SignerOptions = { library, pin };
  if (env.PKCS11_TOKEN_LABEL !== undefined && env.PKCS11_TOKEN_LABEL !== '') opts.tokenLabel = env.PKCS11_TOKEN_LABEL;
  if (env.PKCS11_SLOT !== undefined && env.PKCS11_SLOT !== '') opts.slotIndex = Number.parseInt(env.PKCS11_SLOT, 10);
  if (env.PKCS11_POOL_SIZE !== undefined && env.PKCS11_POOL_SIZE !== '') opts.poolSize = Number.parseInt(env.PKCS11_POOL_SIZE, 10);
  if (env.PKCS11_EDDSA_PARAMS === 'name' || env.PKCS11_EDDSA_PARAMS === 'oid') opts.eddsaParams = env.PKCS11_EDDSA_PARAMS;
  if (env.SIGNER_LABEL_PREFIX !== undefined && env.SIGNER_LABEL_PREFIX !== '') opts.labelPrefix = env.SIGNER_LABEL_PREFIX;
  return opts;
}
