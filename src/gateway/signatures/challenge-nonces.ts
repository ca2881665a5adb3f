import type { Sealer } from '../../core/sealer.ts';
import type { ChallengeRow, SignatureReads } from '../ports/signatures.ts';

/** How many opened nonces a process keeps in memory; beyond it the oldest are dropped (they can be opened again). */
const CACHE_MAX = 10_000;

/**
 * The AAD a challenge's sealed nonce is bound to: its id, so a sealed nonce copied into another
 * challenge's row does not open (docs/protocol.md §Challenge lifecycle).
 */
export function nonceAad(challengeId: string): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(['analog-firewall/challenge-nonce/1', challengeId]));
}

/**
 * Challenge nonces, stored sealed by the HSM in the challenge's row while it is open, so that any
 * replica, or this one after a restart, can run the session a device opens. The clear nonce exists
 * only in the memory of a process that issued or opened it (a cache, never the truth: a miss is
 * answered by the HSM) and in the log once the session ended. Single use is the store's business
 * (startChallenge / endChallenge compare-and-set), not this cache's.
 */
export class ChallengeNonces {
  readonly #sealer: Sealer;
  readonly #store: SignatureReads;
  readonly #cache = new Map<string, Uint8Array>();

  constructor(sealer: Sealer, store: SignatureReads) {
    this.#sealer = sealer;
    this.#store = store;
  }

  /** Seals a fresh challenge's nonce for its row (base64url) and keeps it here. */
  async seal(challengeId: string, nonce: Uint8Array): Promise<string> {
    const sealed = await this.#sealer.seal(nonce, nonceAad(challengeId));
    this.#remember(challengeId, nonce);
    return Buffer.from(sealed).toString('base64url');
  }

  /**
   * The nonce of an open challenge: from memory, else opened by the HSM from the row. Undefined
   * when the row holds none (closed, or issued before nonces were sealed). Throws SEAL_INVALID
   * when the sealed copy does not open (altered, or moved from another challenge) and the
   * sealer's error (SIGNER_UNAVAILABLE) when the HSM does not answer.
   */
  async open(challengeId: string): Promise<Uint8Array | undefined> {
    const held = this.#cache.get(challengeId);
    if (held !== undefined) return held;
    const sealed = await this.#store.sealedNonce(challengeId);
    if (sealed === undefined) return undefined;
    const nonce = await this.#sealer.open(Buffer.from(sealed, 'base64url'), nonceAad(challengeId));
    this.#remember(challengeId, nonce);
    return nonce;
  }

  /**
   * The nonces of the active challenges among `closing`, opened before the transaction that closes
   * them, so their `signature.challenge_closed` entries can publish them; one that cannot be
   * opened now is left out (the entry then carries no nonce), never a reason not to close.
   */
  async ofActive(closing: readonly ChallengeRow[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    for (const c of closing) {
      if (c.state !== 'active') continue;
      const nonce = await this.open(c.id).catch(() => undefined);
      if (nonce !== undefined) out.set(c.id, nonce);
    }
    return out;
  }

  /** What this process holds, without asking the HSM (inside a transaction, where no device call belongs). */
  cached(challengeId: string): Uint8Array | undefined {
    return this.#cache.get(challengeId);
  }

  /** The challenge closed: its nonce is needed no longer here. */
  forget(challengeId: string): void {
    this.#cache.delete(challengeId);
  }

  #remember(challengeId: string, nonce: Uint8Array): void {
    if (this.#cache.size >= CACHE_MAX) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(challengeId, nonce);
  }
}
