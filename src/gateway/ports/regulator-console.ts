/**
 * The regulator console's aggregate (docs/regulator.md §7): invitations to enrol a passkey, the
 * passkeys, and the console sessions, stored beside the log so that each commits with its log
 * entry. Secrets are kept only as their SHA-256 (an invitation or session token read from the
 * database opens nothing).
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

/** The console's records inside a transaction (StoreTx.regulatorConsole). */
export interface RegulatorConsoleTx {
  insertInvitation(row: Omit<RegulatorInvitationRow, 'usedAt'>): Promise<void>;
  /** Marks the invitation used; false when it is unknown, already used or expired at `now`. */
  useInvitation(tokenSha256: string, now: number): Promise<boolean>;
  /** False (and nothing written) when a passkey with this credential id is already enrolled. */
  insertPasskey(row: RegulatorPasskeyRow): Promise<boolean>;
  /** Advances the counter; false when it would not grow (a cloned authenticator) and the counter is not zero. */
  advanceCounter(credentialId: string, counter: number): Promise<boolean>;
  insertSession(row: RegulatorSessionRow): Promise<void>;
  deleteSession(tokenSha256: string): Promise<void>;
  /** Drops sessions that ended before `before` (kept a while after expiry so the page can say "expired"). */
  purgeSessions(before: number): Promise<void>;
}

/** Committed reads of the console's records (Store.regulatorConsole). */
export interface RegulatorConsoleReads {
  invitation(tokenSha256: string): Promise<RegulatorInvitationRow | undefined>;
  passkey(credentialId: string): Promise<RegulatorPasskeyRow | undefined>;
  passkeysOf(person: string): Promise<RegulatorPasskeyRow[]>;
  session(tokenSha256: string): Promise<RegulatorSessionRow | undefined>;
}
