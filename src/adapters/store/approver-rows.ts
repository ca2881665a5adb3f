import type { InvitationRow, SessionRow } from '../../gateway/ports/approver.ts';

/** Rows of the app_ tables as the approver port's records (JSON columns parsed, NULLs kept), for both stores. */
export type Row = Record<string, unknown>;

export const invitationRow = (r: Row): InvitationRow => ({
  tokenSha256: String(r['token_sha256']),
  person: String(r['person']),
  roles: JSON.parse(String(r['roles'])) as string[],
  createdBy: String(r['created_by']),
  createdAt: Number(r['created_at']),
  expiresAt: Number(r['expires_at']),
  usedAt: r['used_at'] === null ? null : Number(r['used_at']),
});

export const sessionRow = (r: Row): SessionRow => ({
  tokenSha256: String(r['token_sha256']),
  person: String(r['person']),
  origin: String(r['origin']),
  device: r['device'] === null || r['device'] === undefined ? null : String(r['device']),
  createdAt: Number(r['created_at']),
  lastSeenAt: Number(r['last_seen_at']),
  expiresAt: Number(r['expires_at']),
});
