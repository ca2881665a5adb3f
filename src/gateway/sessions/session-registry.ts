import type { SessionRecord, SessionRegistry } from '../ports/session-registry.ts';

/**
 * Sessions of one gateway, in its memory: they end with the process (an agent's SDK opens a new one
 * on SESSION_UNKNOWN). Several replicas share a registry instead (adapters/redis).
 */
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
