/**
 * Where agent sessions live (docs/api.md §Sessions): their agent, lifetime and revocation, never
 * their key (a replica derives the key from the id through the HSM, sessions/session-keys.ts). In
 * memory for one gateway (sessions/session-registry.ts), shared for several (adapters/redis).
 * A registry that cannot answer rejects; the gateway refuses the request then (SESSIONS_UNAVAILABLE).
 */
export interface SessionRecord {
  id: string;
  agent: string;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

export interface SessionRegistry {
  /** Stores the session unless its agent already holds `maxPerAgent` live ones (then false). */
  open(record: SessionRecord, maxPerAgent: number, now: number): Promise<boolean>;
  get(id: string): Promise<SessionRecord | undefined>;
  /** Marks the session revoked (kept until it would have expired, so it reads as revoked, not unknown). */
  revoke(id: string, at: number): Promise<SessionRecord | undefined>;
}
