import type { AccessScope } from '../../core/access-token/access-token.ts';
import type { RegulatorInvitationRow, RegulatorPasskeyRow, RegulatorSessionRow } from '../../gateway/ports/regulator-console.ts';

/** Rows of the reg_ tables as the regulator console port's records, for both stores. */
export type Row = Record<string, unknown>;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export const invitationRow = (r: Row): RegulatorInvitationRow => ({
  tokenSha256: String(r['token_sha256']),
  person: String(r['person']),
  createdBy: String(r['created_by']),
  createdAt: Number(r['created_at']),
  expiresAt: Number(r['expires_at']),
  usedAt: num(r['used_at']),
});

export const passkeyRow = (r: Row): RegulatorPasskeyRow => ({
  credentialId: String(r['credential_id']),
  person: String(r['person']),
  publicKey: String(r['public_key']),
  alg: Number(r['alg']),
  counter: Number(r['counter']),
  transports: JSON.parse(String(r['transports'])) as string[],
  createdAt: Number(r['created_at']),
  revokedAt: num(r['revoked_at']),
});

export const sessionRow = (r: Row): RegulatorSessionRow => ({
  tokenSha256: String(r['token_sha256']),
  jti: String(r['jti']),
  person: String(r['person']),
  origin: String(r['origin']),
  scopes: JSON.parse(String(r['scopes'])) as AccessScope[],
  createdAt: Number(r['created_at']),
  expiresAt: Number(r['expires_at']),
});
