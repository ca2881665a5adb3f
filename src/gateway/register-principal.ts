import { FirewallError } from '../core/errors.ts';
import type { PrincipalRecord } from './ports/principals.ts';
import type { Store } from './ports/store.ts';

const ROLES = new Set(['agent', 'authorizer', 'comparator', 'regulator', 'admin']);

/** Registers (or replaces) a principal's public key. Refuses private key material outright. */
export async function registerPrincipal(
  store: Store,
  p: { id: string; roles: string[]; publicJwk: JsonWebKey; owner?: string; organisation?: string },
  now: number,
): Promise<PrincipalRecord> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$/.test(p.id)) throw new FirewallError('PRINCIPAL_INVALID', `'${p.id}' is not a valid principal id`, { status: 400 });
  for (const r of p.roles) if (!ROLES.has(r)) throw new FirewallError('PRINCIPAL_INVALID', `unknown role '${r}'`, { status: 400 });
  if (p.roles.includes('agent') && p.roles.some((r) => r !== 'agent')) {
    // Separation of duties: a credential an AI holds can never also approve.
    throw new FirewallError('PRINCIPAL_INVALID', 'an agent credential cannot hold any other role', { status: 400 });
  }
  const jwk = p.publicJwk as Record<string, unknown>;
  if ('d' in jwk) throw new FirewallError('PRINCIPAL_INVALID', 'that is a private key: register the public key only', { status: 400 });
  const okEd = jwk['kty'] === 'OKP' && jwk['crv'] === 'Ed25519' && typeof jwk['x'] === 'string';
  const okEc = jwk['kty'] === 'EC' && jwk['crv'] === 'P-256' && typeof jwk['x'] === 'string' && typeof jwk['y'] === 'string';
  if (!okEd && !okEc) throw new FirewallError('PRINCIPAL_INVALID', 'the public key must be an Ed25519 or P-256 JWK', { status: 400 });
  const publicJwk = okEd ? { kty: 'OKP', crv: 'Ed25519', x: jwk['x'] } : { kty: 'EC', crv: 'P-256', x: jwk['x'], y: jwk['y'] };
  const rec: PrincipalRecord = {
    id: p.id,
    roles: [...new Set(p.roles)].sort(),
    publicJwk: publicJwk as JsonWebKey,
    ...(p.owner === undefined ? {} : { owner: p.owner }),
    ...(p.organisation === undefined ? {} : { organisation: p.organisation }),
    createdAt: now,
    disabled: false,
  };
  await store.tx(async (tx) => tx.principals.put(rec));
  return rec;
}
