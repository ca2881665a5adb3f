/**
 * The approver app's aggregate (docs/approver-app.md): enrolment invitations, app sessions and Web
 * Push subscriptions, stored beside the signature tables so that an invitation's use commits with
 * the device it enrolled and its log entry.
 *
 * Nothing here is a usable secret: invitation and session tokens are kept as their SHA-256 (a
 * database reader cannot sign in or enrol with them).
 */

export interface InvitationRow {
  tokenSha256: string;
  person: string;
  roles: string[];
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

export interface SessionRow {
  tokenSha256: string;
  person: string;
  origin: string;
  /** The passkey (credential id) that opened the session (sign-in or enrolment): the one on this device. Null for sessions opened otherwise. */
  device: string | null;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

export interface PushSubscriptionRow {
  endpoint: string;
  person: string;
  p256dh: string;
  auth: string;
}

/** The approver app's records inside a transaction (StoreTx.approver). */
export interface ApproverTx {
  insertInvitation(i: Omit<InvitationRow, 'usedAt'>): Promise<void>;
  /** Marks the invitation used; false when it is unknown, already used or expired at `now`. */
  useInvitation(tokenSha256: string, now: number): Promise<boolean>;
  insertSession(s: SessionRow): Promise<void>;
  touchSession(tokenSha256: string, now: number): Promise<void>;
  deleteSession(tokenSha256: string): Promise<void>;
  /** Deletes sessions past their end, or idle since before `idleBefore`. */
  purgeSessions(now: number, idleBefore: number): Promise<void>;
  /** Inserts or replaces the subscription for this endpoint. */
  putPush(s: PushSubscriptionRow, now: number): Promise<void>;
  deletePush(endpoint: string): Promise<void>;
  deletePushOf(person: string): Promise<void>;
}

/** Committed reads of the approver app's records (Store.approver). */
export interface ApproverReads {
  invitation(tokenSha256: string): Promise<InvitationRow | undefined>;
  session(tokenSha256: string): Promise<SessionRow | undefined>;
  pushOf(person: string): Promise<PushSubscriptionRow[]>;
}
