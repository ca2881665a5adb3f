/**
 * What the regulator console keeps (docs/regulator.md §7): invitations to enrol a passkey,
 * the passkeys, and the console sessions. Secrets are kept only as their SHA-256 (an invitation
 * or session token read from the database opens nothing). Writes run inside a `store.tx`
 * callback, so each commits with its log entry; reads see committed data.
 */
import type { AccessScope } from '../../core/access-token/access-token.ts';

export interface RegulatorInvitationRow {
  tokenSha256: string;
  person: string;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

export interface RegulatorPasskeyRow {
  credentialId: string;
  person: string;
  /** COSE_Key, base64url. */
  publicKey: string;
  alg: number;
  counter: number;
  transports: string[];
  createdAt: number;
  revokedAt: number | null;
}

export interface RegulatorSessionRow {
  /** SHA-256 (hex) of the access token the cookie carries. */
  tokenSha256: string;
  /** The token's jti: the `regulator.token_issued` entry and every `regulator.read` name it. */
  jti: string;
  person: string;
  /** The origin the session was opened on; the cookie counts only there. */
  origin: string;
  scopes: AccessScope[];
  createdAt: number;
  expiresAt: number;
}

export interface RegulatorConsoleStore {
  txInsertInvitation(row: Omit<RegulatorInvitationRow, 'usedAt'>): void;
  /** False when unknown, used, or expired at `now`. */
  txUseInvitation(tokenSha256: string, now: number): boolean;
  invitation(tokenSha256: string): RegulatorInvitationRow | undefined;

  txInsertPasskey(row: RegulatorPasskeyRow): void;
  /** Advances the counter; false when it would not grow (a cloned authenticator) and the counter is not zero. */
  txAdvanceCounter(credentialId: string, counter: number): boolean;
  passkey(credentialId: string): RegulatorPasskeyRow | undefined;
  passkeysOf(person: string): RegulatorPasskeyRow[];

  txInsertSession(row: RegulatorSessionRow): void;
  txDeleteSession(tokenSha256: string): void;
  /** Drops sessions that ended before `before` (kept a while after expiry so the page can say "expired"). */
  txPurgeSessions(before: number): void;
  session(tokenSha256: string): RegulatorSessionRow | undefined;

  close(): void;
}
