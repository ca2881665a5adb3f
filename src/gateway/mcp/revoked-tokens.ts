import { FirewallError } from '../../core/errors.ts';
import { MAX_AGENT_TOKEN_TTL_SEC } from '../../core/mcp/agent-token.ts';
import type { Clock } from '../../core/clock.ts';
import type { LogReads } from '../ports/log-storage.ts';

/** How long after its revocation a token id is kept: no token lives longer, clock tolerance included. */
const KEEP_MS = (MAX_AGENT_TOKEN_TTL_SEC + 60) * 1000;
/** Entries read per query while catching up. */
const PAGE = 500;

/**
 * The agent tokens revoked (RFC 7009) on any gateway on this database: read from the transparency
 * log's `agent.token_revoked` entries, which every revocation writes before it answers. Each
 * gateway reads the entries after the last one it saw (`refresh`, every second from `watch`), so a
 * token revoked through one replica is refused by every replica within about a second, and after
 * a restart. A gateway that has not read the log for STALE_MS refuses every token
 * (TOKEN_REVOCATIONS_UNAVAILABLE, 503) rather than risk accepting a revoked one.
 */
export class RevokedTokens {
  static readonly STALE_MS = 5_000;
  readonly #log: LogReads;
  readonly #clock: Clock;
  /** jti → until when it is kept (ms). */
  readonly #revoked = new Map<string, number>();
  #after: number | undefined;
  #readAt = -Infinity;
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> | undefined;

  constructor(o: { log: LogReads; clock: Clock }) {
    this.#log = o.log;
    this.#clock = o.clock;
  }

  /** Reads the revocations logged since the last read (the last KEEP_MS at the first). */
  refresh(): Promise<void> {
    this.#reading ??= this.#read().finally(() => (this.#reading = undefined));
    return this.#reading;
  }

  async #read(): Promise<void> {
    const started = this.#clock.now();
    for (;;) {
      const page = await this.#log.query({
        type: 'agent.token_revoked',
        terms: [],
        since: started - KEEP_MS,
        ...(this.#after === undefined ? {} : { afterIndex: this.#after }),
        limit: PAGE,
      });
      for (const e of page) {
        const jti = e.entry['jti'];
        if (typeof jti === 'string') this.#revoked.set(jti, (e.ts ?? started) + KEEP_MS);
        this.#after = e.index;
      }
      if (page.length < PAGE) break;
    }
    for (const [jti, until] of this.#revoked) if (until <= started) this.#revoked.delete(jti);
    this.#readAt = started;
  }

  /** Refreshes every `intervalMs` until `close`. */
  watch(intervalMs: number, onError: (e: unknown) => void): void {
    this.#timer ??= setInterval(() => void this.refresh().catch(onError), intervalMs);
    this.#timer.unref();
  }

  /** This gateway's own revocation, known here before its log entry is read back. */
  add(jti: string): void {
    this.#revoked.set(jti, this.#clock.now() + KEEP_MS);
  }

  /** Whether `jti` was revoked; throws when this gateway cannot know (the log unread for STALE_MS). */
  async isRevoked(jti: string): Promise<boolean> {
    if (this.#clock.now() - this.#readAt > RevokedTokens.STALE_MS) {
      try {
        await this.refresh();
      } catch (cause) {
        throw new FirewallError('TOKEN_REVOCATIONS_UNAVAILABLE', 'the revoked tokens cannot be read from the log; the token is refused rather than risk accepting a revoked one', { status: 503, cause, detail: { retryAfterSeconds: 1 } });
      }
    }
    return this.#revoked.has(jti);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
