/**
 * Where sessions live: their agent, lifetime and revocation, never their key (a replica derives
 * the key from the id through the HSM, session-keys.ts). A port, so a shared implementation (Redis)
 * can serve several replicas; the in-memory one serves a single gateway. Sessions in memory end
 * with the process: an agent's SDK opens a new one on SESSION_UNKNOWN.
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

export class MemorySessionRegistry implements SessionRegistry {
  readonly #sessions = new Map<string, SessionRecord>();
  readonly #byAgent = new Map<string, Set<string>>();

  async open(record: SessionRecord, maxPerAgent: number, now: number): Promise<boolean> {
    const ids = this.#byAgent.get(record.agent) ?? new Set<string>();
    let live = 0;
    for (const id of ids) {
      const s = this.#sessions.get(id);
      if (s === undefined || s.expiresAt <= now) {
        ids.delete(id);
        this.#sessions.delete(id);
      } else if (s.revokedAt === null) live++;
    }
    if (live >= maxPerAgent) return false;
    ids.add(record.id);
    this.#byAgent.set(record.agent, ids);
    this.#sessions.set(record.id, { ...record });
    return true;
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    return this.#sessions.get(id);
  }

  async revoke(id: string, at: number): Promise<SessionRecord | undefined> {
    const s = this.#sessions.get(id);
    if (s !== undefined && s.revokedAt === null) s.revokedAt = at;
    return s;
  }
}
