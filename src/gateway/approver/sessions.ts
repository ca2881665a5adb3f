import type { Clock } from '../../core/clock.ts';
import type { Store } from '../ports/store.ts';
import type { SessionRow } from '../ports/approver.ts';
import type { ApproverConfig } from './config.ts';
import { isTokenShaped, newToken, tokenDigest } from './secret-token.ts';

/** Touch the session row at most this often: the idle timeout is minutes, a write per request is waste. */
const TOUCH_EVERY_MS = 30_000;

/**
 * Sessions of the approver app: a random token in an HttpOnly cookie, stored as its SHA-256, bound
 * to one person and to the origin it was created on, ending after `sessionIdleMs` without a
 * request or `sessionMaxMs` in any case (docs/approver-app.md §Sessions).
 */
export class AppSessions {
  readonly #o: { store: Store; clock: Clock; config: ApproverConfig; random: (n: number) => Promise<Uint8Array> };

  constructor(o: { store: Store; clock: Clock; config: ApproverConfig; random: (n: number) => Promise<Uint8Array> }) {
    this.#o = o;
  }

  /** `device`: the passkey that opened the session (the one on this device), when one did. */
  async create(person: string, origin: string, device: string | null = null): Promise<string> {
    const token = newToken(await this.#o.random(32));
    const now = this.#o.clock.now();
    await this.#o.store.tx(async (tx) => {
      await tx.approver.purgeSessions(now, now - this.#o.config.sessionIdleMs);
      await tx.approver.insertSession({ tokenSha256: tokenDigest(token), person, origin, device, createdAt: now, lastSeenAt: now, expiresAt: now + this.#o.config.sessionMaxMs });
    });
    return token;
  }

  /** The live session a cookie names, or undefined (unknown, idle too long, past its end). */
  async resolve(token: unknown): Promise<SessionRow | undefined> {
    if (!isTokenShaped(token)) return undefined;
    const id = tokenDigest(token);
    const s = await this.#o.store.approver.session(id);
    const now = this.#o.clock.now();
    if (s === undefined || s.expiresAt < now || s.lastSeenAt + this.#o.config.sessionIdleMs < now) return undefined;
    if (now - s.lastSeenAt >= TOUCH_EVERY_MS) await this.#o.store.tx(async (tx) => tx.approver.touchSession(id, now), { durable: false });
    return s;
  }

  async end(token: unknown): Promise<void> {
    if (!isTokenShaped(token)) return;
    await this.#o.store.tx(async (tx) => tx.approver.deleteSession(tokenDigest(token)));
  }
}
