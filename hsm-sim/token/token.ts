/**
 * The token: roles and PINs, key objects, the operation counter, the audit log, tamper response.
 * Everything runs synchronously on one thread, so each request sees and leaves a consistent state
 * and no two requests interleave (a real HSM serialises the same way).
 */
import { X509Certificate, createHash, createPrivateKey, createPublicKey, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { createKeyCertificate } from '../attestation/certificates.ts';
import { signStatement } from '../attestation/statements.ts';
import { AuditLog } from '../audit/audit-log.ts';
import type { AuditEntry, AuditFields, AuditRole } from '../audit/entry.ts';
import { deviceError } from '../protocol/error-codes.ts';
import type { KeyRef } from '../protocol/fields.ts';
import { removeStaleTemps, writeFileAtomic } from '../store/atomic-file.ts';
import { inspectStore, type Inspection } from '../store/integrity.ts';
import { deriveDeviceKeys, newSalt, seal, secretCheck, unseal, type DeviceKeys } from '../store/sealing.ts';
import {
  KEY_ATTRIBUTES,
  STORE_FORMAT,
  isSecretKeyAlgorithm,
  keySealAad,
  type CipherMechanism,
  type DeviceState,
  type KeyAlgorithm,
  type KeyRecord,
  type Mechanism,
  type PinRecord,
  type Purpose,
  type Role,
  type SignedTamperRecord,
  type SigningMechanism,
  type StoreBody,
  type TamperRecord,
} from '../store/schema.ts';
import { Store } from '../store/store.ts';
import { manufactureIdentity, sealIdentity, unsealIdentity, type DeviceIdentity } from './device-identity.ts';
import { auditExportStatement, auditHeadStatement, type SignedAuditStatement } from './audit-statements.ts';
import { gcmDecrypt, gcmEncrypt } from './cipher.ts';
import { generateKeyPair, keyIdFor, signWith, verifyWith } from './key-material.ts';
import { newPinRecord, pinMatches } from './pin.ts';
import { salvagedDevice } from './tamper-salvage.ts';
import type { KeyInfo, LiveKey, OpRecord, Session, TokenOptions } from './token-types.ts';

export type { KeyInfo, OpRecord, Session, SessionRole, TokenOptions } from './token-types.ts';

/** Counter values reserved per store commit: a restart skips at most this many. */
const COUNTER_BLOCK = 10_000;
const KEY_LIMIT = 1024;

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export class Token {
  readonly #opts: TokenOptions;
  readonly #audit: AuditLog;
  #store!: Store;
  #identity: DeviceIdentity | undefined;
  #keys = new Map<string, LiveKey>();
  #labels = new Map<string, string>();
  #counter = 0;

  private constructor(opts: TokenOptions, audit: AuditLog) {
    this.#opts = opts;
    this.#audit = audit;
  }

  /** Power-on: check the files, then resume, manufacture, or zeroize. */
  static open(opts: TokenOptions): Token {
    const audit = AuditLog.open(opts.paths.audit, opts.clock);
    const token = new Token(opts, audit);
    if (audit.repairedBytes > 0) opts.log.warn({ event: 'audit-tail-repaired', bytes: audit.repairedBytes }, 'cut a torn final audit line');
    // A temp file was never renamed, so it was never committed: discard it.
    const stale = [opts.paths.store, opts.paths.anchor, opts.paths.tamper].reduce((n, p) => n + removeStaleTemps(p), 0);
    if (stale > 0) opts.log.warn({ event: 'stale-temp-removed', files: stale }, 'removed uncommitted temp files left by a crash');
    let inspection: Inspection;
    try {
      inspection = inspectStore(opts.paths, opts.masterSecret, audit);
    } catch (e) {
      audit.close();
      throw e;
    }
    if (inspection.kind === 'fresh') token.#manufacture();
    else if (inspection.kind === 'ok') token.#resume(inspection.body, inspection.keys, inspection.repairs);
    else token.#zeroizeAtPowerOn(inspection);
    return token;
  }

  get state(): DeviceState {
    return this.#store.body.state;
  }

  get deviceSerial(): string {
    return this.#store.body.device.serial;
  }

  get auditLog(): AuditLog {
    return this.#audit;
  }

  // ---- power-on paths -------------------------------------------------------------------------

  #manufacture(): void {
    const salt = newSalt();
    const keys = deriveDeviceKeys(this.#opts.masterSecret, salt);
    const identity = manufactureIdentity(this.#opts.clock);
    const body: StoreBody = {
      format: STORE_FORMAT,
      generation: 1,
      salt: salt.toString('base64'),
      check: secretCheck(keys),
      state: 'uninitialized',
      device: {
        serial: identity.serial,
        createdAt: this.#iso(),
        certificate: identity.certificateDer.toString('base64'),
        sealedKey: sealIdentity(keys.seal, identity),
      },
      token: null,
      pins: { so: null, user: null },
      counterReserved: COUNTER_BLOCK,
      auditHead: this.#audit.head(),
      keys: [],
    };
    this.#store = new Store(this.#opts.paths, keys, this.#audit, body, this.#opts.probe);
    this.#store.write(body, 'manufacture');
    this.#identity = identity;
    this.#counter = 0;
    this.audit({ op: 'device.manufacture', role: 'device', count: 0, outcome: 'ok', detail: { deviceSerial: identity.serial } }, true);
    this.#opts.log.info({ event: 'manufactured', deviceSerial: identity.serial }, 'new device identity created');
  }

  #resume(body: StoreBody, keys: DeviceKeys, repairs: string[]): void {
    this.#store = new Store(this.#opts.paths, keys, this.#audit, body, this.#opts.probe);
    // Resume above anything ever handed out (a tamper record below must carry the true counter).
    this.#counter = Math.max(body.counterReserved, this.#audit.counterEnd);
    if (body.state !== 'zeroized') {
      const identity = body.device.sealedKey === undefined ? undefined : unsealIdentity(keys.seal, body.device.serial, body.device.sealedKey, body.device.certificate);
      if (identity === undefined) {
        this.tamper('store-modified', 'the device key does not unseal although the store MAC verified', 'device');
        return;
      }
      this.#identity = identity;
      for (const record of body.keys) {
        const der = unseal(keys.seal, record.sealed, keySealAad(record));
        if (der === undefined) {
          this.tamper('store-modified', `key ${record.label} does not unseal although the store MAC verified`, 'device');
          return;
        }
        this.#addLive(record, isSecretKeyAlgorithm(record.algorithm) ? createSecretKey(der) : createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
        der.fill(0);
      }
    }
    // Reserve the next block before serving.
    const resumedAt = this.#counter;
    this.#store.commit('power-on', (d) => {
      d.counterReserved = resumedAt + COUNTER_BLOCK;
    });
    this.audit({ op: 'device.start', role: 'device', count: 0, outcome: 'ok', detail: { counterResumedAt: resumedAt, repairs: repairs.join(',') || null, state: body.state } }, true);
    if (repairs.length > 0) this.#opts.log.warn({ event: 'store-repaired', repairs }, 'completed a commit interrupted by a crash');
  }

  #zeroizeAtPowerOn(t: Extract<Inspection, { kind: 'tampered' }>): void {
    if (!this.#audit.verdict.ok) {
      const moved = this.#audit.rotateBroken();
      this.audit({ op: 'audit.restart', role: 'device', count: 0, outcome: 'ok', detail: { previousLog: moved.movedTo, previousSha256: moved.sha256 } }, true);
    }
    const found = salvagedDevice(t);
    const serial = found.serial;
    const cert = found.certificate;
    let keys = t.salvage.keys;
    let salt = found.salt;
    if (keys === undefined || salt === undefined) {
      const fresh = newSalt();
      salt = fresh.toString('base64');
      keys = deriveDeviceKeys(this.#opts.masterSecret, fresh);
    }
    // A sealed blob that authenticates is genuine whatever else was edited: use it to sign the record.
    if (t.salvage.keys !== undefined && found.sealedKey !== undefined && cert !== '') {
      this.#identity = unsealIdentity(t.salvage.keys.seal, serial, found.sealedKey as never, cert);
    }
    const lastGeneration = Math.max(found.generation, this.#audit.lastCommitGeneration);
    this.#counter = Math.max(found.counterReserved, this.#audit.counterEnd);
    const keysZeroized = found.keysZeroized;
    const signed = this.#writeTamperRecord(serial, t.reason, t.message, lastGeneration, keysZeroized);
    const body: StoreBody = {
      format: STORE_FORMAT,
      generation: lastGeneration + 1,
      salt,
      check: secretCheck(keys),
      state: 'zeroized',
      device: { serial, createdAt: this.#iso(), certificate: cert },
      token: null,
      pins: { so: null, user: null },
      counterReserved: this.#counter + COUNTER_BLOCK,
      auditHead: this.#audit.head(),
      keys: [],
      tamper: signed,
    };
    this.#store = new Store(this.#opts.paths, keys, this.#audit, body, this.#opts.probe);
    this.#store.write(body, 'zeroize');
    this.#identity = undefined;
    this.audit({ op: 'device.zeroize', role: 'device', count: 0, outcome: 'ok', detail: { reason: t.reason, keys: keysZeroized.length } }, true);
    this.#opts.log.error({ event: 'tamper', reason: t.reason, detail: t.message }, 'tamper detected at power-on: device zeroized');
  }

  // ---- counter and audit ----------------------------------------------------------------------

  /** Take `n` consecutive counter values; reserves the next block durably before crossing it. */
  consumeCounter(n: number): number {
    const first = this.#counter;
    if (first + n > this.#store.body.counterReserved) {
      const upTo = first + n + COUNTER_BLOCK;
      this.#store.commit('counter-reserve', (d) => {
        d.counterReserved = upTo;
      });
    }
    this.#counter += n;
    return first;
  }

  audit(fields: Omit<AuditFields, 'counter'> & { counter?: number }, sync = false): AuditEntry {
    return this.#audit.append(fields, { sync });
  }

  recordOperation(op: string, role: AuditRole, session: number | undefined, rec: OpRecord, outcome: string): AuditEntry {
    const counter = rec.counter ?? this.consumeCounter(1);
    const fields: AuditFields = { op, role, count: rec.count ?? 1, counter, outcome };
    if (session !== undefined) fields.session = session;
    if (rec.key !== undefined) fields.key = rec.key;
    if (rec.mechanism !== undefined) fields.mechanism = rec.mechanism;
    if (rec.purpose !== undefined) fields.purpose = rec.purpose;
    if (rec.inputDigest !== undefined) fields.inputDigest = rec.inputDigest;
    if (rec.detail !== undefined) fields.detail = rec.detail;
    return this.#audit.append(fields);
  }

  // ---- lifecycle and roles --------------------------------------------------------------------

  status(session: Session): Record<string, unknown> {
    const b = this.#store.body;
    const pin = (p: PinRecord | null) => (p === null ? null : { failures: p.failures, locked: p.locked, maxFailures: this.#opts.maxPinFailures });
    const out: Record<string, unknown> = {
      state: b.state,
      model: 'hsm-sim',
      deviceSerial: b.device.serial,
      token: b.token === null ? null : { label: b.token.label, initializedAt: b.token.initializedAt, userPinInitialized: b.pins.user !== null },
      pins: { so: pin(b.pins.so), user: pin(b.pins.user) },
      keys: b.keys.length,
      counter: this.#counter,
      auditHead: this.#audit.head(),
      session: { id: session.id, role: session.role },
    };
    if (b.tamper !== undefined) out.tamper = b.tamper;
    return out;
  }

  initToken(soPin: string, label: string): { deviceSerial: string } {
    if (this.#store.body.state !== 'uninitialized') throw deviceError('TOKEN_ALREADY_INITIALIZED', 'the token is already initialised');
    const so = newPinRecord(soPin);
    this.#store.commit('init-token', (d) => {
      d.state = 'active';
      d.token = { label, initializedAt: this.#iso() };
      d.pins = { so, user: null };
    });
    this.#opts.log.info({ event: 'token-initialised', label }, 'token initialised');
    return { deviceSerial: this.deviceSerial };
  }

  login(session: Session, role: Role, pin: string, rec: OpRecord): { role: Role } {
    if (session.role !== 'public') throw deviceError('ALREADY_LOGGED_IN', `this session is already logged in as ${session.role}; log out first`);
    const record = this.#store.body.pins[role];
    if (record === null) {
      if (role === 'user') throw deviceError('USER_PIN_NOT_INITIALIZED', 'the user PIN has not been set; the security officer sets it with initPin');
      throw deviceError('TOKEN_NOT_INITIALIZED', 'the token has no security officer PIN yet');
    }
    if (record.locked) throw deviceError('PIN_LOCKED', `the ${role} PIN is locked after ${this.#opts.maxPinFailures} wrong attempts`, { role });
    if (!pinMatches(record, pin)) {
      const failures = record.failures + 1;
      const locked = failures >= this.#opts.maxPinFailures;
      this.#store.commit(`pin-failure-${role}`, (d) => {
        d.pins[role] = { ...record, failures, locked };
      });
      rec.detail = { role, failures, locked };
      if (locked) {
        this.#opts.log.warn({ event: 'pin-locked', role, failures }, 'PIN locked');
        throw deviceError('PIN_LOCKED', `wrong ${role} PIN; the PIN is now locked after ${failures} wrong attempts`, { role, remaining: 0 });
      }
      throw deviceError('PIN_INCORRECT', `wrong ${role} PIN`, { role, remaining: this.#opts.maxPinFailures - failures });
    }
    if (record.failures > 0) {
      this.#store.commit(`pin-reset-${role}`, (d) => {
        d.pins[role] = { ...record, failures: 0 };
      });
    }
    session.role = role;
    rec.detail = { role };
    return { role };
  }

  logout(session: Session): Record<string, never> {
    if (session.role === 'public') throw deviceError('NOT_LOGGED_IN', 'this session is not logged in');
    session.role = 'public';
    return {};
  }

  /** SO sets (or resets) the user PIN; this also unlocks a locked user role, as C_InitPIN does. */
  initPin(pin: string): Record<string, never> {
    const user = newPinRecord(pin);
    this.#store.commit('init-pin', (d) => {
      d.pins.user = user;
    });
    return {};
  }

  // ---- keys -----------------------------------------------------------------------------------

  #addLive(record: KeyRecord, privateKey: KeyObject): void {
    // A secret key has no public half: its JWK says only what it is, never the key.
    const publicKey = privateKey.type === 'secret' ? undefined : createPublicKey(privateKey);
    this.#keys.set(record.id, { record, privateKey, publicKey, jwk: publicKey === undefined ? { kty: 'oct' } : publicKey.export({ format: 'jwk' }) });
    this.#labels.set(record.label, record.id);
  }

  #find(ref: KeyRef, rec?: OpRecord): LiveKey {
    const id = ref.id ?? (ref.label === undefined ? undefined : this.#labels.get(ref.label));
    const key = id === undefined ? undefined : this.#keys.get(id);
    const what = ref.label !== undefined ? `label "${ref.label}"` : `id ${ref.id}`;
    if (key === undefined) throw deviceError('KEY_NOT_FOUND', `no key with ${what}`);
    if (ref.label !== undefined && key.record.label !== ref.label) throw deviceError('KEY_NOT_FOUND', `no key with label "${ref.label}" and id ${ref.id}`);
    if (rec !== undefined) rec.key = { label: key.record.label, id: key.record.id };
    return key;
  }

  #info(k: LiveKey): KeyInfo {
    const r = k.record;
    return {
      label: r.label,
      id: r.id,
      algorithm: r.algorithm,
      purposes: r.purposes,
      mechanisms: r.mechanisms,
      attributes: r.attributes,
      createdAt: r.createdAt,
      jwk: k.jwk,
      // A secret key has no attestation certificate of its own (nothing public to certify).
      x5c: r.certificate === '' ? [this.#store.body.device.certificate] : [r.certificate, this.#store.body.device.certificate],
    };
  }

  generateKey(rec: OpRecord, req: { label: string; algorithm: KeyAlgorithm; purposes: Purpose[]; mechanisms: Mechanism[] }): KeyInfo {
    if (this.#labels.has(req.label)) throw deviceError('KEY_EXISTS', `a key labelled "${req.label}" already exists`, { label: req.label });
    if (this.#keys.size >= KEY_LIMIT) throw deviceError('REQUEST_INVALID', `the token holds its maximum of ${KEY_LIMIT} keys`);
    const identity = this.#requireIdentity();
    if (req.algorithm === 'AES-256') return this.#generateSecretKey(rec, req);
    const pair = generateKeyPair(req.algorithm);
    const spkiDer = pair.publicKey.export({ type: 'spki', format: 'der' });
    const id = keyIdFor(spkiDer);
    const now = this.#opts.clock.now();
    const generatedAt = new Date(Math.floor(now / 1000) * 1000);
    const root = Buffer.from(this.#store.body.device.certificate, 'base64');
    const certificate = createKeyCertificate({
      rootDer: root,
      devicePrivateKey: identity.privateKey,
      devicePublicKey: identity.publicKey,
      subjectPublicKey: pair.publicKey,
      // A key certificate never outlives the device root that vouches for it.
      notAfter: new Date(Date.parse(new X509Certificate(root).validTo)),
      attestation: {
        version: 1,
        keyId: id,
        label: req.label,
        algorithm: req.algorithm,
        purposes: req.purposes,
        mechanisms: req.mechanisms,
        generatedOnDevice: true,
        extractable: false,
        sensitive: true,
        deviceSerial: identity.serial,
        generatedAt,
      },
    });
    const base = { id, label: req.label, algorithm: req.algorithm, purposes: req.purposes, mechanisms: req.mechanisms, spki: spkiDer.toString('base64') };
    const pkcs8 = pair.privateKey.export({ type: 'pkcs8', format: 'der' });
    const record: KeyRecord = {
      ...base,
      attributes: KEY_ATTRIBUTES,
      createdAt: new Date(now).toISOString(),
      certificate: certificate.toString('base64'),
      sealed: seal(this.#store.keys.seal, pkcs8, keySealAad(base)),
    };
    pkcs8.fill(0);
    this.#store.commit(`generateKey:${req.label}`, (d) => {
      d.keys.push(record);
    });
    this.#addLive(record, pair.privateKey);
    rec.key = { label: record.label, id };
    rec.detail = { algorithm: req.algorithm, purposes: req.purposes.join(',') };
    return this.#info(this.#keys.get(id)!);
  }

  /** An AES-256 key generated here, sealed like a private key, never extractable. */
  #generateSecretKey(rec: OpRecord, req: { label: string; algorithm: KeyAlgorithm; purposes: Purpose[]; mechanisms: Mechanism[] }): KeyInfo {
    const raw = randomBytes(32);
    const base = { id: randomBytes(16).toString('hex'), label: req.label, algorithm: req.algorithm, purposes: req.purposes, mechanisms: req.mechanisms, spki: '' };
    const record: KeyRecord = {
      ...base,
      attributes: KEY_ATTRIBUTES,
      createdAt: new Date(this.#opts.clock.now()).toISOString(),
      certificate: '',
      sealed: seal(this.#store.keys.seal, raw, keySealAad(base)),
    };
    const key = createSecretKey(raw);
    raw.fill(0);
    this.#store.commit(`generateKey:${req.label}`, (d) => {
      d.keys.push(record);
    });
    this.#addLive(record, key);
    rec.key = { label: record.label, id: record.id };
    rec.detail = { algorithm: req.algorithm, purposes: req.purposes.join(',') };
    return this.#info(this.#keys.get(record.id)!);
  }

  listKeys(): Omit<KeyInfo, 'x5c'>[] {
    return [...this.#keys.values()].map((k) => {
      const { x5c: _x5c, ...rest } = this.#info(k);
      return rest;
    });
  }

  getPublicKey(ref: KeyRef, rec: OpRecord): KeyInfo {
    return this.#info(this.#find(ref, rec));
  }

  #usable(ref: KeyRef, purpose: Purpose, mechanism: Mechanism, rec: OpRecord): LiveKey {
    rec.purpose = purpose;
    rec.mechanism = mechanism;
    const key = this.#find(ref, rec);
    if (!key.record.mechanisms.includes(mechanism)) {
      throw deviceError('MECHANISM_NOT_ALLOWED', `key "${key.record.label}" allows ${key.record.mechanisms.join(', ')}, not ${mechanism}`);
    }
    if (!key.record.purposes.includes(purpose)) {
      throw deviceError('PURPOSE_NOT_ALLOWED', `key "${key.record.label}" is for ${key.record.purposes.join(', ')}, not ${purpose}`);
    }
    return key;
  }

  sign(rec: OpRecord, ref: KeyRef, purpose: Purpose, mechanism: SigningMechanism, data: Buffer): { signature: string; counter: number } {
    const key = this.#usable(ref, purpose, mechanism, rec);
    rec.inputDigest = sha256Hex(data);
    const signature = signWith(mechanism, key.privateKey, data).toString('base64');
    rec.counter = this.consumeCounter(1);
    return { signature, counter: rec.counter };
  }

  signBatch(rec: OpRecord, ref: KeyRef, purpose: Purpose, mechanism: SigningMechanism, items: Buffer[]): { signatures: string[]; counterFirst: number } {
    const key = this.#usable(ref, purpose, mechanism, rec);
    const digests = Buffer.allocUnsafe(32 * items.length);
    const signatures = new Array<string>(items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      createHash('sha256').update(item).digest().copy(digests, 32 * i);
      signatures[i] = signWith(mechanism, key.privateKey, item).toString('base64');
    }
    rec.inputDigest = sha256Hex(digests);
    rec.count = items.length;
    rec.counter = this.consumeCounter(items.length);
    return { signatures, counterFirst: rec.counter };
  }

  verify(rec: OpRecord, ref: KeyRef, mechanism: SigningMechanism, data: Buffer, signature: Buffer): { valid: boolean } {
    const key = this.#find(ref, rec);
    rec.mechanism = mechanism;
    rec.inputDigest = sha256Hex(data);
    if (!key.record.mechanisms.includes(mechanism) || key.publicKey === undefined) {
      throw deviceError('MECHANISM_NOT_ALLOWED', `key "${key.record.label}" allows ${key.record.mechanisms.join(', ')}, not ${mechanism}`);
    }
    return { valid: verifyWith(mechanism, key.publicKey, data, signature) };
  }

  /**
   * AES-GCM under a secret key of this device; the device draws the IV. The audit entry records
   * the digest of the AAD (what the caller bound the value to), never of the plaintext.
   */
  encrypt(rec: OpRecord, ref: KeyRef, purpose: Purpose, mechanism: CipherMechanism, data: Buffer, aad: Buffer): { iv: string; data: string; counter: number } {
    const key = this.#usable(ref, purpose, mechanism, rec);
    rec.inputDigest = sha256Hex(aad);
    const out = gcmEncrypt(key.privateKey, data, aad);
    rec.counter = this.consumeCounter(1);
    return { iv: out.iv.toString('base64'), data: out.data.toString('base64'), counter: rec.counter };
  }

  /** The plaintext, or DECRYPT_FAILED when the ciphertext, tag, IV or AAD is not what this key sealed. */
  decrypt(rec: OpRecord, ref: KeyRef, purpose: Purpose, mechanism: CipherMechanism, iv: Buffer, data: Buffer, aad: Buffer): { data: string } {
    const key = this.#usable(ref, purpose, mechanism, rec);
    rec.inputDigest = sha256Hex(aad);
    const plain = gcmDecrypt(key.privateKey, iv, data, aad);
    if (plain === undefined) throw deviceError('DECRYPT_FAILED', 'the ciphertext does not authenticate under this key and AAD');
    const out = plain.toString('base64');
    plain.fill(0);
    return { data: out };
  }

  random(length: number): { bytes: string } {
    return { bytes: randomBytes(length).toString('base64') };
  }

  /** Always refused; the refusal is the point, and the dispatcher records it. */
  exportPrivateKey(rec: OpRecord, ref: KeyRef): never {
    const key = this.#find(ref, rec);
    this.#opts.log.warn({ event: 'export-refused', label: key.record.label }, 'private key export refused');
    throw deviceError('KEY_NOT_EXTRACTABLE', `key "${key.record.label}" is non-extractable; private key export is refused and recorded`);
  }

  destroyKey(rec: OpRecord, ref: KeyRef): { destroyed: { label: string; id: string } } {
    const key = this.#find(ref, rec);
    const { id, label } = key.record;
    this.#store.commit(`destroyKey:${label}`, (d) => {
      d.keys = d.keys.filter((k) => k.id !== id);
    });
    this.#keys.delete(id);
    this.#labels.delete(label);
    this.#opts.log.info({ event: 'key-destroyed', label, id }, 'key destroyed by the security officer');
    return { destroyed: { label, id } };
  }

  attestation(ref: KeyRef | undefined, rec: OpRecord): { chain: string[] } {
    const root = this.#store.body.device.certificate;
    if (ref === undefined) return { chain: [root] };
    return { chain: [this.#find(ref, rec).record.certificate, root] };
  }

  // ---- audit exports --------------------------------------------------------------------------

  auditHead(): SignedAuditStatement {
    return auditHeadStatement(this.#requireIdentity(), this.#audit, this.#counter, this.#iso());
  }

  auditExport(from: number, limit: number): SignedAuditStatement & { entries: AuditEntry[] } {
    return auditExportStatement(this.#requireIdentity(), this.#audit, from, limit, this.#iso());
  }

  // ---- tamper ---------------------------------------------------------------------------------

  #writeTamperRecord(serial: string, reason: string, message: string, generation: number, keysZeroized: { label: string; id: string }[]): SignedTamperRecord {
    const record: TamperRecord = {
      type: 'analog-firewall/hsm-sim-tamper/1',
      deviceSerial: serial,
      reason,
      message,
      detectedAt: this.#iso(),
      storeGeneration: generation,
      counter: this.#counter,
      auditHead: this.#audit.head(),
      keysZeroized,
    };
    // Signed before zeroization: this is the device key's last act.
    const signed: SignedTamperRecord = { record, signature: this.#identity === undefined ? null : signStatement(this.#identity.privateKey, record), alg: 'RS256' };
    writeFileAtomic(this.#opts.paths.tamper, JSON.stringify(signed, null, 2) + '\n');
    this.audit({ op: 'device.tamper', role: 'device', count: 0, outcome: 'ok', detail: { reason, signed: signed.signature !== null } }, true);
    return signed;
  }

  /** Respond to tamper: sign a record with the device key, then destroy every key including that one. */
  tamper(reason: string, message: string, by: AuditRole): SignedTamperRecord {
    if (this.state === 'zeroized') return this.#store.body.tamper!;
    const body = this.#store.body;
    const keysZeroized = body.keys.map((k) => ({ label: k.label, id: k.id }));
    const signed = this.#writeTamperRecord(body.device.serial, reason, message, body.generation, keysZeroized);
    this.#store.commit('zeroize', (d) => {
      d.state = 'zeroized';
      d.keys = [];
      delete d.device.sealedKey;
      d.pins = { so: null, user: null };
      d.token = null;
      d.tamper = signed;
    });
    // KeyObjects cannot be wiped in place; dropping every reference is what Node allows.
    this.#keys.clear();
    this.#labels.clear();
    this.#identity = undefined;
    this.audit({ op: 'device.zeroize', role: by, count: 0, outcome: 'ok', detail: { reason, keys: keysZeroized.length } }, true);
    this.#opts.log.error({ event: 'tamper', reason, by, keys: keysZeroized.length }, 'tamper response: device zeroized');
    return signed;
  }

  #requireIdentity(): DeviceIdentity {
    if (this.#identity === undefined) throw deviceError('DEVICE_ZEROIZED', 'the device is zeroized');
    return this.#identity;
  }

  #iso(): string {
    return new Date(this.#opts.clock.now()).toISOString();
  }

  close(): void {
    this.#audit.close();
  }
}
