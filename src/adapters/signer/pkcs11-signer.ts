/**
 * Signer over PKCS#11 (pkcs11js), tested against SoftHSMv2; the same code drives a YubiHSM 2,
 * AWS CloudHSM or Luna through their PKCS#11 modules (docs/hsm.md).
 *
 * - The module is initialised once per process with CKF_OS_LOCKING_OK: pkcs11js runs *Async calls
 *   on libuv worker threads, and without OS locking concurrent sessions corrupt the library.
 * - A session runs one operation at a time. Signing (asynchronous, on worker threads) draws from a
 *   pool of sessions; everything else (find, attributes, generate, counter, random) runs
 *   synchronously on one control session, so no session is ever used by two threads at once.
 * - Ed25519: CKM_EC_EDWARDS_KEY_PAIR_GEN / CKM_EDDSA. P-256: SoftHSM has no CKM_ECDSA_SHA256, so
 *   SHA-256 is computed here and CKM_ECDSA signs the digest; its output is already raw r||s.
 * - At start-up every private key on the token must be CKA_SENSITIVE, not CKA_EXTRACTABLE and
 *   CKA_NEVER_EXTRACTABLE, or the signer refuses to start (SIGNER_KEY_EXTRACTABLE).
 * - x5c is always empty: a generic PKCS#11 token gives no attestation chain.
 * - The operation counter lives on the token, in a CKO_DATA object `<prefix>-op-counter`, reserved
 *   in blocks so a restart never reuses a value (it skips the rest of the block).
 *
 * Environment (pkcs11SignerOptionsFromEnv, pkcs11-options.ts): PKCS11_LIBRARY, PKCS11_PIN, PKCS11_TOKEN_LABEL or
 * PKCS11_SLOT, PKCS11_POOL_SIZE, PKCS11_EDDSA_PARAMS (oid|name), SIGNER_LABEL_PREFIX.
 */
import { createHash, randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { FirewallError, isFirewallError } from '../../core/errors.ts';
import type { KeyPurpose, PublicKeyInfo, Signature, Signer } from '../../core/signer.ts';
import type { Sealer } from '../../core/sealer.ts';
import { KEY_PURPOSES, PURPOSE_ALGORITHM, kidFor, type KeyAttributeReport } from './hsm-sim-signer.ts';
import { bool, CKK_EC_EDWARDS, CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA, ED25519_PARAMS_NAME, ED25519_PARAMS_OID, jwkFromPoint, P256_PARAMS } from './pkcs11-ec-keys.ts';
import { CKR_USER_ALREADY_LOGGED_IN, ckr, mapError } from './pkcs11-errors.ts';
import { acquireModule, releaseModule, type PKCS11 } from './pkcs11-module.ts';
import type { Pkcs11SignerOptions, ResolvedOptions } from './pkcs11-options.ts';
import { Pkcs11Sealer } from './pkcs11-sealer.ts';

export type { KeyAttributeReport };

type Handle = Buffer;

const COUNTER_BLOCK = 10_000n;
const CKS_RO_USER_FUNCTIONS = 1;
const CKS_RW_USER_FUNCTIONS = 3;

interface TokenKey {
  privateKey: Handle;
  info: PublicKeyInfo;
}

export class Pkcs11Signer implements Signer {
  readonly #p11: PKCS11;
  readonly #opts: ResolvedOptions;
  readonly #slot: Handle;
  #control: Handle | undefined;
  #sessions: Handle[] = [];
  #idle: Handle[] = [];
  #waiters: ((s: Handle) => void)[] = [];
  #keys = new Map<KeyPurpose, TokenKey>();
  #counter = 0n;
  #reserved = 0n;
  #closed = false;

  private constructor(p11: PKCS11, slot: Handle, opts: ResolvedOptions) {
    this.#p11 = p11;
    this.#slot = slot;
    this.#opts = opts;
  }

  /** Load the module, open and log in the session pool, check every private key, reserve counters. */
  static async open(options: Pkcs11SignerOptions): Promise<Pkcs11Signer> {
    const opts = { labelPrefix: 'analog-firewall', poolSize: 4, eddsaParams: 'oid' as const, ...options };
    if (!Number.isSafeInteger(opts.poolSize) || opts.poolSize < 1 || opts.poolSize > 64) throw new FirewallError('SIGNER_CONFIG_INVALID', 'poolSize must be 1..64');
    const p11 = acquireModule(opts.library);
    let signer: Pkcs11Signer | undefined;
    try {
      const slot = Pkcs11Signer.#findSlot(p11, opts);
      signer = new Pkcs11Signer(p11, slot, opts);
      signer.#openPool();
      signer.#checkAllPrivateKeys();
      signer.#initCounter();
      return signer;
    } catch (e) {
      if (signer !== undefined) signer.#closeSessions();
      releaseModule(opts.library);
      throw mapError(e, 'open');
    }
  }

  static #findSlot(p11: PKCS11, opts: Pkcs11SignerOptions): Handle {
    const slots = p11.C_GetSlotList(true);
    if (opts.tokenLabel !== undefined) {
      for (const slot of slots) if (p11.C_GetTokenInfo(slot).label.trim() === opts.tokenLabel) return slot;
      throw new FirewallError('SIGNER_UNAVAILABLE', `no PKCS#11 token labelled "${opts.tokenLabel}" in ${opts.library}`, { status: 503 });
    }
    const slot = slots[opts.slotIndex ?? 0];
    if (slot === undefined) throw new FirewallError('SIGNER_UNAVAILABLE', `no PKCS#11 token in slot index ${opts.slotIndex ?? 0} of ${opts.library}`, { status: 503 });
    return slot;
  }

  #openPool(): void {
    const flags = pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION;
    this.#control = this.#p11.C_OpenSession(this.#slot, flags);
    try {
      // Login is per application and token: one login covers the control session and the pool.
      this.#p11.C_Login(this.#control, pkcs11js.CKU_USER, this.#opts.pin);
    } catch (e) {
      if (ckr(e) !== CKR_USER_ALREADY_LOGGED_IN) throw mapError(e, 'C_Login');
    }
    for (let i = 0; i < this.#opts.poolSize; i++) this.#sessions.push(this.#p11.C_OpenSession(this.#slot, flags));
    this.#idle = [...this.#sessions];
  }

  get #ctl(): Handle {
    if (this.#control === undefined || this.#closed) throw new FirewallError('SIGNER_UNAVAILABLE', 'the PKCS#11 signer is closed', { status: 503 });
    return this.#control;
  }

  #closeSessions(): void {
    for (const s of [...this.#sessions, ...(this.#control === undefined ? [] : [this.#control])]) {
      try {
        this.#p11.C_CloseSession(s);
      } catch {
        /* gone already */
      }
    }
    this.#sessions = [];
    this.#idle = [];
    this.#control = undefined;
  }

  #find(session: Handle, template: pkcs11js.Template): Handle[] {
    this.#p11.C_FindObjectsInit(session, template);
    try {
      const out: Handle[] = [];
      for (;;) {
        const batch = this.#p11.C_FindObjects(session, 100);
        if (batch.length === 0) return out;
        out.push(...batch);
      }
    } finally {
      this.#p11.C_FindObjectsFinal(session);
    }
  }

  #attributes(session: Handle, handle: Handle): KeyAttributeReport {
    const a = this.#p11.C_GetAttributeValue(session, handle, [
      { type: pkcs11js.CKA_LABEL },
      { type: pkcs11js.CKA_SENSITIVE },
      { type: pkcs11js.CKA_EXTRACTABLE },
      { type: pkcs11js.CKA_NEVER_EXTRACTABLE },
      { type: pkcs11js.CKA_ALWAYS_SENSITIVE },
      { type: pkcs11js.CKA_LOCAL },
    ]);
    const v = (i: number) => a[i]?.value as Buffer | undefined;
    return {
      label: (v(0) ?? Buffer.alloc(0)).toString('utf8'),
      sensitive: bool(v(1)),
      extractable: bool(v(2)),
      neverExtractable: bool(v(3)),
      alwaysSensitive: bool(v(4)),
      local: bool(v(5)),
    };
  }

  #assertProtected(r: KeyAttributeReport): void {
    const wrong: string[] = [];
    if (!r.sensitive) wrong.push('CKA_SENSITIVE is false');
    if (r.extractable) wrong.push('CKA_EXTRACTABLE is true');
    if (!r.neverExtractable) wrong.push('CKA_NEVER_EXTRACTABLE is false');
    if (wrong.length > 0) {
      throw new FirewallError('SIGNER_KEY_EXTRACTABLE', `private key "${r.label}" on the token is not protected (${wrong.join(', ')}); refusing to use this token`, {
        detail: { label: r.label },
      });
    }
  }

  /** Every private key on the token, ours or not: one exportable key means the token is not set up as an HSM should be. */
  #checkAllPrivateKeys(): void {
    const s = this.#ctl;
    for (const h of this.#find(s, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }])) this.#assertProtected(this.#attributes(s, h));
  }

  #counterTemplate(value: bigint): pkcs11js.Template {
    const v = Buffer.alloc(8);
    v.writeBigUInt64BE(value);
    return [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_LABEL, value: `${this.#opts.labelPrefix}-op-counter` },
      { type: pkcs11js.CKA_APPLICATION, value: 'analog-firewall' },
      { type: pkcs11js.CKA_VALUE, value: v },
    ];
  }

  #counterObjects(): { handle: Handle; value: bigint }[] {
    const s = this.#ctl;
    return this.#find(s, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA },
      { type: pkcs11js.CKA_LABEL, value: `${this.#opts.labelPrefix}-op-counter` },
    ]).map((handle) => {
      const v = this.#p11.C_GetAttributeValue(s, handle, [{ type: pkcs11js.CKA_VALUE }])[0]?.value as Buffer | undefined;
      return { handle, value: v !== undefined && v.length === 8 ? v.readBigUInt64BE(0) : 0n };
    });
  }

  #initCounter(): void {
    // Several objects can exist if a reservation was interrupted; the highest value wins.
    this.#counter = this.#counterObjects().reduce((max, o) => (o.value > max ? o.value : max), 0n);
    this.#reserve(this.#counter + COUNTER_BLOCK);
  }

  /**
   * Record "counter values below `upTo` may be in use". Many tokens (SoftHSM among them) make a data
   * object's CKA_VALUE read-only, so a new object is created first and the older ones destroyed after:
   * a crash in between leaves two objects, and the larger value is the right one.
   */
  #reserve(upTo: bigint): void {
    const s = this.#ctl;
    const old = this.#counterObjects();
    this.#p11.C_CreateObject(s, this.#counterTemplate(upTo));
    for (const o of old) this.#p11.C_DestroyObject(s, o.handle);
    this.#reserved = upTo;
  }

  #consumeCounter(n: number): number {
    const first = this.#counter;
    const end = first + BigInt(n);
    if (end > this.#reserved) this.#reserve(end + COUNTER_BLOCK);
    this.#counter = end;
    return Number(first);
  }

  async #withSession<T>(fn: (s: Handle) => Promise<T> | T): Promise<T> {
    if (this.#closed) throw new FirewallError('SIGNER_UNAVAILABLE', 'the PKCS#11 signer is closed', { status: 503 });
    const s = this.#idle.pop() ?? (await new Promise<Handle>((r) => this.#waiters.push(r)));
    try {
      return await fn(s);
    } finally {
      const next = this.#waiters.shift();
      if (next !== undefined) next(s);
      else this.#idle.push(s);
    }
  }

  labelFor(purpose: KeyPurpose): string {
    return `${this.#opts.labelPrefix}-${purpose}`;
  }

  /** The Sealer on this token (pkcs11-sealer.ts), on the control session: key `<labelPrefix>-seal`. */
  sealer(): Sealer {
    return new Pkcs11Sealer({ p11: this.#p11, session: () => this.#ctl, label: `${this.#opts.labelPrefix}-seal`, mapError });
  }

  #lookup(session: Handle, purpose: KeyPurpose): TokenKey | undefined {
    const label = this.labelFor(purpose);
    const priv = this.#find(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_LABEL, value: label },
    ]);
    if (priv.length === 0) return undefined;
    if (priv.length > 1) throw new FirewallError('PKCS11_ERROR', `${priv.length} private keys labelled "${label}"; keys must be unique by label`);
    const privateKey = priv[0]!;
    this.#assertProtected(this.#attributes(session, privateKey));
    const id = this.#p11.C_GetAttributeValue(session, privateKey, [{ type: pkcs11js.CKA_ID }])[0]?.value as Buffer;
    const pub = this.#find(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
      { type: pkcs11js.CKA_LABEL, value: label },
      { type: pkcs11js.CKA_ID, value: id },
    ]);
    if (pub.length !== 1) throw new FirewallError('PKCS11_ERROR', `expected one public key labelled "${label}" with the private key's CKA_ID, found ${pub.length}`);
    const point = this.#p11.C_GetAttributeValue(session, pub[0]!, [{ type: pkcs11js.CKA_EC_POINT }])[0]?.value as Buffer;
    const alg = PURPOSE_ALGORITHM[purpose];
    const kid = kidFor(label, id.toString('hex'));
    return { privateKey, info: { kid, purpose, alg, jwk: { ...jwkFromPoint(alg, point), kid, alg, use: 'sig' }, x5c: [] } };
  }

  #generate(session: Handle, purpose: KeyPurpose): void {
    const label = this.labelFor(purpose);
    const id = randomBytes(16);
    const ed = PURPOSE_ALGORITHM[purpose] === 'EdDSA';
    const params = ed ? (this.#opts.eddsaParams === 'name' ? ED25519_PARAMS_NAME : ED25519_PARAMS_OID) : P256_PARAMS;
    const common = [
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_LABEL, value: label },
      { type: pkcs11js.CKA_ID, value: id },
    ];
    this.#p11.C_GenerateKeyPair(
      session,
      { mechanism: ed ? CKM_EC_EDWARDS_KEY_PAIR_GEN : pkcs11js.CKM_EC_KEY_PAIR_GEN },
      [...common, { type: pkcs11js.CKA_KEY_TYPE, value: ed ? CKK_EC_EDWARDS : pkcs11js.CKK_EC }, { type: pkcs11js.CKA_EC_PARAMS, value: params }, { type: pkcs11js.CKA_VERIFY, value: true }, { type: pkcs11js.CKA_PRIVATE, value: false }],
      [
        ...common,
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: false },
        // Signing only: a key for one purpose is never also a decryption or unwrapping key.
        { type: pkcs11js.CKA_DECRYPT, value: false },
        { type: pkcs11js.CKA_UNWRAP, value: false },
        { type: pkcs11js.CKA_DERIVE, value: false },
      ],
    );
  }

  /** Create, once, the key for every purpose; returns their public keys. */
  async ensureKeys(): Promise<PublicKeyInfo[]> {
    try {
      const s = this.#ctl;
      const out: PublicKeyInfo[] = [];
      for (const purpose of KEY_PURPOSES) {
        let k = this.#lookup(s, purpose);
        if (k === undefined) {
          this.#generate(s, purpose);
          k = this.#lookup(s, purpose);
          if (k === undefined) throw new FirewallError('PKCS11_ERROR', `generated ${purpose} key not found afterwards`);
        }
        this.#keys.set(purpose, k);
        out.push(structuredClone(k.info));
      }
      return out;
    } catch (e) {
      throw mapError(e, 'ensureKeys');
    }
  }

  async #key(purpose: KeyPurpose): Promise<TokenKey> {
    const cached = this.#keys.get(purpose);
    if (cached !== undefined) return cached;
    if (!KEY_PURPOSES.includes(purpose)) throw new FirewallError('SIGNER_PURPOSE_UNKNOWN', `unknown key purpose "${String(purpose)}"`);
    let k: TokenKey | undefined;
    try {
      k = this.#lookup(this.#ctl, purpose);
    } catch (e) {
      throw mapError(e, 'find key');
    }
    if (k === undefined) throw new FirewallError('KEY_NOT_FOUND', `the token has no ${purpose} key "${this.labelFor(purpose)}"; run ensureKeys() first`);
    this.#keys.set(purpose, k);
    return k;
  }

  async publicKey(purpose: KeyPurpose): Promise<PublicKeyInfo> {
    return structuredClone((await this.#key(purpose)).info);
  }

  async #signOne(k: TokenKey, data: Uint8Array): Promise<Buffer> {
    const ed = k.info.alg === 'EdDSA';
    const input = ed ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : createHash('sha256').update(data).digest();
    return this.#withSession(async (s) => {
      try {
        this.#p11.C_SignInit(s, { mechanism: ed ? CKM_EDDSA : pkcs11js.CKM_ECDSA }, k.privateKey);
        const sig = await this.#p11.C_SignAsync(s, input, Buffer.alloc(64));
        if (sig.length !== 64) throw new FirewallError('PKCS11_ERROR', `token returned a ${sig.length}-byte signature, expected 64`);
        return Buffer.from(sig);
      } catch (e) {
        if (isFirewallError(e, 'SIGNER_UNAVAILABLE')) this.#keys.clear();
        throw mapError(e, 'C_Sign');
      }
    });
  }

  async sign(purpose: KeyPurpose, data: Uint8Array): Promise<Signature> {
    const k = await this.#key(purpose);
    const signature = await this.#signOne(k, data);
    return { kid: k.info.kid, alg: k.info.alg, signature: new Uint8Array(signature), counter: this.#consumeCounter(1) };
  }

  /** PKCS#11 has no batch signing: the batch is spread over the session pool. */
  async signBatch(purpose: KeyPurpose, data: Uint8Array[]): Promise<Signature[]> {
    if (data.length === 0) return [];
    const k = await this.#key(purpose);
    const sigs = await Promise.all(data.map((d) => this.#signOne(k, d)));
    const first = this.#consumeCounter(sigs.length);
    return sigs.map((s, i) => ({ kid: k.info.kid, alg: k.info.alg, signature: new Uint8Array(s), counter: first + i }));
  }

  async random(length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(length) || length < 0) throw new FirewallError('SIGNER_REQUEST_INVALID', `random length must be a non-negative integer, got ${length}`);
    if (length === 0) return new Uint8Array(0);
    try {
      return new Uint8Array(this.#p11.C_GenerateRandom(this.#ctl, Buffer.alloc(length)));
    } catch (e) {
      throw mapError(e, 'C_GenerateRandom');
    }
  }

  async health(): Promise<{ ok: boolean; reason?: string }> {
    if (this.#closed) return { ok: false, reason: 'closed' };
    try {
      const info = this.#p11.C_GetSessionInfo(this.#ctl);
      if (info.state !== CKS_RW_USER_FUNCTIONS && info.state !== CKS_RO_USER_FUNCTIONS) return { ok: false, reason: 'the PKCS#11 session is not logged in' };
      return { ok: true };
    } catch (e) {
      const err = mapError(e, 'C_GetSessionInfo');
      return { ok: false, reason: `${err.code}: ${err.message}` };
    }
  }

  /**
   * Report the private key's protection attributes and try to read its value (CKA_VALUE). Resolves
   * only when the token refuses the read; a token that hands the value over fails the check.
   */
  async assertNonExtractable(purpose: KeyPurpose): Promise<KeyAttributeReport> {
    const k = await this.#key(purpose);
    const s = this.#ctl;
    const report = this.#attributes(s, k.privateKey);
    this.#assertProtected(report);
    let leaked: Buffer | undefined;
    try {
      leaked = this.#p11.C_GetAttributeValue(s, k.privateKey, [{ type: pkcs11js.CKA_VALUE }])[0]?.value as Buffer | undefined;
    } catch (e) {
      const code = ckr(e);
      if (code === pkcs11js.CKR_ATTRIBUTE_SENSITIVE || code === pkcs11js.CKR_ATTRIBUTE_TYPE_INVALID) return report;
      throw mapError(e, 'C_GetAttributeValue');
    }
    leaked?.fill(0);
    throw new FirewallError('SIGNER_KEY_EXTRACTABLE', `the token released the value of private key "${report.label}"`);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#keys.clear();
    // Let in-flight operations finish before their sessions go away.
    while (this.#idle.length < this.#sessions.length) await new Promise<Handle>((r) => this.#waiters.push(r)).then((s) => this.#idle.push(s));
    this.#closeSessions();
    releaseModule(this.#opts.library);
  }
}

export function createPkcs11Signer(opts: Pkcs11SignerOptions): Promise<Pkcs11Signer> {
  return Pkcs11Signer.open(opts);
}
