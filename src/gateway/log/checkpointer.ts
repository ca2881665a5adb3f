import type { Clock } from '../../core/clock.ts';
import { FirewallError } from '../../core/errors.ts';
import { checkpointKeyFromJwk, formatCheckpoint, signCheckpoint, type CheckpointKey } from '../../core/checkpoint/checkpoint.ts';
import { computeOver } from '../../core/log/tree.ts';
import type { SignedCheckpoint } from '../../core/log/types.ts';
import type { SubtreeRef } from '../../core/merkle/frontier.ts';
import { consistencyProof, rootHash, verifyConsistencyProof } from '../../core/merkle/proof.ts';
import type { PublicKeyInfo, Signer } from '../../core/signer.ts';
import type { StoredCheckpoint } from '../ports/log-storage.ts';
import type { Store } from '../ports/store.ts';

export interface CheckpointerOptions {
  store: Store;
  signer: Signer;
  /** Checkpoint origin line and log key name, e.g. `firewall.example.com/log`. */
  origin: string;
  clock: Clock;
  /** Sign once this many entries are unsigned, or every `ms` when anything is unsigned. Default 1000 / 5000 ms. `null` disables. */
  checkpointEvery?: { entries: number; ms: number } | null;
  /** Receives errors of automatic checkpoints (which have no caller to throw to). */
  onError?: (error: unknown) => void;
  /**
   * Several writers on one log (replicas on one database): automatic checkpoints are signed only by
   * the holder of the integrator's lease, which `holder` claims every `ttlMs / 3` and keeps while it
   * renews; when the holder dies the lease expires and another writer takes over within `ttlMs`.
   * Explicit `checkpoint()` calls sign whoever makes them. Absent: this writer is the integrator.
   */
  integrator?: { holder: string; ttlMs: number; onChange?: (holding: boolean) => void };
}

const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.length);

/**
 * Signs C2SP checkpoints of the log with the HSM's checkpoint key (Tessera's integrator and
 * checkpoint publisher). A signed tree head is a commitment, so:
 *
 *  - the size it signs is read on committed data, then an empty store transaction is awaited, which
 *    resolves only once everything committed before it is durable: no checkpoint covers an entry a
 *    crash could still take back;
 *  - it never signs a tree that does not extend the latest stored checkpoint (LOG_INCONSISTENT,
 *    checked with a consistency proof before signing);
 *  - the checkpoint row is written through a store transaction, not when one as large landed first
 *    (from another replica): that one is returned instead.
 */
export class Checkpointer {
  readonly origin: string;
  readonly #o: CheckpointerOptions;
  readonly #onError: (error: unknown) => void;
  readonly #autoEntries: number | null;
  readonly #timer: NodeJS.Timeout | null;
  #chain: Promise<unknown> = Promise.resolve();
  #autoPending = false;
  #signedSize = 0;
  /** The largest size the appender reported (it reports before its transaction commits). */
  #appendedSize = 0;
  #key: Promise<{ key: CheckpointKey; info: PublicKeyInfo }> | null = null;
  #closed = false;
  /** Whether this writer holds the integrator's lease (always, without `integrator`). */
  #holding: boolean;
  readonly #leaseTimer: NodeJS.Timeout | null;

  constructor(o: CheckpointerOptions, signedSize: number) {
    this.origin = o.origin;
    this.#o = o;
    this.#onError = o.onError ?? (() => {});
    this.#signedSize = signedSize;
    const every = o.checkpointEvery === undefined ? { entries: 1000, ms: 5000 } : o.checkpointEvery;
    this.#autoEntries = every && every.entries > 0 ? every.entries : null;
    if (every && every.ms > 0) {
      this.#timer = setInterval(() => void this.#tick(), every.ms);
      this.#timer.unref();
    } else {
      this.#timer = null;
    }
    this.#holding = o.integrator === undefined;
    if (o.integrator !== undefined && every !== null) {
      this.#leaseTimer = setInterval(() => void this.claimLease(), Math.max(10, Math.floor(o.integrator.ttlMs / 3)));
      this.#leaseTimer.unref();
      void this.claimLease();
    } else {
      this.#leaseTimer = null;
    }
  }

  /** Whether this writer signs automatic checkpoints now. */
  get integrator(): boolean {
    return this.#holding;
  }

  /** Claims or renews the integrator's lease; safe to call directly (tests). Failures count as not holding it. */
  async claimLease(): Promise<boolean> {
    const lease = this.#o.integrator;
    if (lease === undefined) return true;
    if (this.#closed) return false;
    let holding = false;
    try {
      holding = await this.#o.store.tx((tx) => tx.log.claimIntegrator(lease.holder, this.#o.clock.now(), lease.ttlMs));
    } catch (e) {
      this.#onError(e);
    }
    if (holding !== this.#holding) {
      this.#holding = holding;
      lease.onChange?.(holding);
      if (holding) void this.#tick(); // what the previous integrator left unsigned
    }
    return holding;
  }

  /** The appender reports each new size: enough unsigned entries start a checkpoint. */
  appended(size: number): void {
    this.#appendedSize = Math.max(this.#appendedSize, size);
    if (this.#holding && this.#autoEntries !== null && size - this.#signedSize >= this.#autoEntries) this.#auto();
  }

  async #tick(): Promise<void> {
    if (this.#closed || !this.#holding) return;
    try {
      if ((await this.#o.store.log.size()) > this.#signedSize) this.#auto();
    } catch (e) {
      this.#onError(e);
    }
  }

  #auto(): void {
    if (this.#autoPending || this.#closed) return;
    this.#autoPending = true;
    const before = this.#signedSize;
    setImmediate(() => {
      // The appender reports a size from inside its transaction: an empty transaction first, queued
      // behind it, so the size the checkpoint reads includes the append that triggered it.
      this.#o.store
        .tx(async () => {})
        .then(() => this.checkpoint())
        .catch((e) => this.#onError(e))
        .finally(() => {
          this.#autoPending = false;
          // Sizes reported while this one ran were ignored: go again while enough is unsigned, but
          // only after progress (an append that rolled back stays reported and must not loop).
          if (this.#signedSize > before && this.#autoEntries !== null && this.#appendedSize - this.#signedSize >= this.#autoEntries) this.#auto();
        });
    });
  }

  /**
   * Signs a checkpoint of the current durable tree; returns the latest unchanged when nothing was
   * appended since. Calls are serialised.
   */
  checkpoint(): Promise<SignedCheckpoint> {
    const run = this.#chain.then(() => this.#checkpointNow());
    this.#chain = run.catch(() => {});
    return run;
  }

  async #checkpointNow(): Promise<SignedCheckpoint> {
    const { key } = await this.loadKey();
    const store = this.#o.store;
    const size = await store.log.size();
    await store.tx(async () => {}); // the durability barrier
    const root = await computeOver((refs) => store.log.nodes(refs), (src) => buf(rootHash(src, size)));
    const latest = await store.log.latestCheckpoint();
    if (latest) {
      await this.assertExtends(latest, size, root);
      if (size === latest.size) return this.#signed(latest);
    }
    const text = formatCheckpoint({ origin: this.origin, size, rootHash: root, extensions: [] });
    const { note, signature } = await signCheckpoint(this.#o.signer, key, text);
    const signedAt = this.#o.clock.now();
    const hsmCounter = Number.isSafeInteger(signature.counter) ? (signature.counter as number) : null;
    // Another replica may have stored a checkpoint as large or larger meanwhile (the log has many
    // writers): it covers everything this one would, over the same shared tree, so it is the answer.
    const landed = await store.tx(async (tx) => {
      const now = await tx.log.latestCheckpoint();
      if (now && now.size >= size) return now;
      await tx.log.putCheckpoint({ size, rootHash: root, note, signedAt, hsmCounter });
      return undefined;
    });
    if (landed !== undefined) {
      this.#signedSize = Math.max(this.#signedSize, landed.size);
      return this.#signed(landed);
    }
    this.#signedSize = Math.max(this.#signedSize, size);
    return { origin: this.origin, size, rootHash: root, note, signedAt, hsmCounter: signature.counter ?? null };
  }

  /** Throws LOG_INCONSISTENT unless the stored tree at `size` extends the signed checkpoint. */
  async assertExtends(latest: StoredCheckpoint, size: number, root?: Buffer): Promise<void> {
    try {
      if (size < latest.size) throw new FirewallError('LOG_SHRUNK', `the tree has ${size} entries, fewer than the signed ${latest.size}`, { status: 500 });
      const nodes = (refs: readonly SubtreeRef[]) => this.#o.store.log.nodes(refs);
      const newRoot = root ?? (await computeOver(nodes, (src) => rootHash(src, size)));
      const proof = await computeOver(nodes, (src) => consistencyProof(src, latest.size, size));
      verifyConsistencyProof(latest.size, size, latest.rootHash, newRoot, proof);
    } catch (e) {
      throw new FirewallError(
        'LOG_INCONSISTENT',
        `refusing to continue: the stored tree of size ${size} is not consistent with the checkpoint signed at size ${latest.size}`,
        { status: 500, cause: e },
      );
    }
  }

  #signed(c: StoredCheckpoint): SignedCheckpoint {
    return { origin: this.origin, size: c.size, rootHash: buf(c.rootHash), note: c.note, signedAt: c.signedAt, hsmCounter: c.hsmCounter };
  }

  /** The HSM's checkpoint key (Ed25519), fetched once. */
  loadKey(): Promise<{ key: CheckpointKey; info: PublicKeyInfo }> {
    if (!this.#key) {
      this.#key = (async () => {
        const info = await this.#o.signer.publicKey('checkpoint');
        if (info.alg !== 'EdDSA') {
          throw new FirewallError('CHECKPOINT_SIGNER_INVALID', `the checkpoint key must be Ed25519 (EdDSA), not ${info.alg}`, { status: 500 });
        }
        return { key: checkpointKeyFromJwk(this.origin, info.jwk), info };
      })();
      this.#key.catch(() => {
        this.#key = null;
      });
    }
    return this.#key;
  }

  /** Stops the timer and waits for checkpoints in flight. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#leaseTimer) clearInterval(this.#leaseTimer);
    await this.#chain;
  }
}
