/**
 * Signer backed by hsm-sim over its socket (docs/hsm.md). One key per purpose, labelled
 * `<labelPrefix>-<purpose>`: Ed25519 (EdDSA) for receipt, checkpoint, challenge, webhook and session;
 * P-256 (ES256, raw r||s) for token. The connection reconnects by itself; while the device is down
 * every call fails with SIGNER_UNAVAILABLE (503) and recovers when it returns.
 *
 * Environment (hsmSimSignerOptionsFromEnv): HSM_SIM_SOCKET or HSM_SIM_TCP (HOST:PORT),
 * HSM_SIM_USER_PIN, SIGNER_LABEL_PREFIX (default "analog-firewall"); for mutual TLS to a shared
 * device, HSM_SIM_TLS_CA, HSM_SIM_TLS_CLIENT_CERT, HSM_SIM_TLS_CLIENT_KEY (PEM files) and
 * optionally HSM_SIM_TLS_SERVERNAME.
 */
import { readFileSync } from 'node:fs';
import { FirewallError, isFirewallError } from '../../core/errors.ts';
import type { KeyPurpose, PublicKeyInfo, Signature, Signer, SigningAlgorithm } from '../../core/signer.ts';
import type { Sealer } from '../../core/sealer.ts';
import { HsmSimSealer } from './hsm-sim-sealer.ts';
import { HsmSimConnection, type ClientTls, type Endpoint } from '../../../hsm-sim/client/connection.ts';
import { isLoopback } from '../../../hsm-sim/loopback.ts';

export const KEY_PURPOSES: readonly KeyPurpose[] = ['receipt', 'checkpoint', 'challenge', 'token', 'webhook', 'session'];

export const PURPOSE_ALGORITHM: Readonly<Record<KeyPurpose, SigningAlgorithm>> = {
  receipt: 'EdDSA',
  checkpoint: 'EdDSA',
  challenge: 'EdDSA',
  webhook: 'EdDSA',
  session: 'EdDSA',
  token: 'ES256',
};

const DEVICE_ALGORITHM = { EdDSA: 'Ed25519', ES256: 'P-256' } as const;
const DEVICE_MECHANISM = { EdDSA: 'EdDSA', ES256: 'ECDSA-SHA256' } as const;

/** Device limits (hsm-sim/protocol/operations.ts LIMITS), repeated here to split work client-side. */
const BATCH_MAX_ITEMS = 8192;
const BATCH_MAX_ITEM_BYTES = 64 * 1024;
/** Keep each batch frame well under the device's default 4 MiB frame limit. */
const BATCH_MAX_FRAME_BYTES = 2 * 1024 * 1024;
const RANDOM_MAX = 65536;

/** Protection attributes of a private key, as both signer backends report them. */
export interface KeyAttributeReport {
  label: string;
  sensitive: boolean;
  extractable: boolean;
  neverExtractable: boolean;
  alwaysSensitive: boolean;
  local: boolean;
}

export interface HsmSimSignerOptions {
  /** Unix socket of the device. Give this, or host and port, or endpoint. */
  socketPath?: string;
  host?: string;
  port?: number;
  /** With host and port: mutual TLS (required by a device off loopback). */
  tls?: ClientTls;
  endpoint?: Endpoint;
  userPin: string;
  /** Labels are `<labelPrefix>-<purpose>`. Default "analog-firewall". */
  labelPrefix?: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export interface SignedAuditHead {
  statement: { type: string; deviceSerial: string; index: number; hash: string; counter: number; time: string };
  /** RS256 by the device key over JCS(statement); verify with the device root certificate (x5c last element). */
  signature: string;
  alg: 'RS256';
}

interface DeviceKeyInfo {
  label: string;
  id: string;
  algorithm: string;
  purposes: string[];
  mechanisms: string[];
  attributes: Omit<KeyAttributeReport, 'label'>;
  jwk: JsonWebKey;
  x5c: string[];
}

export interface AuditExport {
  entries: Record<string, unknown>[];
  statement: { type: string; deviceSerial: string; from: number; count: number; prevHash: string | null; lastHash: string | null; head: { index: number; hash: string }; time: string };
  signature: string;
  alg: 'RS256';
}

interface ResolvedKey {
  ref: { label: string; id: string };
  info: PublicKeyInfo;
}

function publicOnly(jwk: JsonWebKey): JsonWebKey {
  const out: JsonWebKey = { kty: jwk.kty };
  if (jwk.crv !== undefined) out.crv = jwk.crv;
  if (jwk.x !== undefined) out.x = jwk.x;
  if (jwk.y !== undefined) out.y = jwk.y;
  return out;
}

/** Where the device is, from the options: `endpoint`, else `socketPath`, else `host`+`port` (+ `tls`). */
export function endpointOf(opts: Pick<HsmSimSignerOptions, 'endpoint' | 'socketPath' | 'host' | 'port' | 'tls'>): Endpoint {
  const endpoint: Endpoint | undefined =
    opts.endpoint ?? (opts.socketPath !== undefined ? { socketPath: opts.socketPath } : opts.host !== undefined && opts.port !== undefined ? { host: opts.host, port: opts.port, ...(opts.tls === undefined ? {} : { tls: opts.tls }) } : undefined);
  if (endpoint === undefined) throw new FirewallError('SIGNER_CONFIG_INVALID', 'hsm-sim signer needs socketPath, or host and port');
  return endpoint;
}

export function kidFor(label: string, id: string): string {
  return `${label}.${id.slice(0, 16)}`;
}

export class HsmSimSigner implements Signer {
  readonly #conn: HsmSimConnection;
  readonly #prefix: string;
  readonly #keys = new Map<KeyPurpose, ResolvedKey>();
  #sealer: HsmSimSealer | undefined;
  /** After the device rejects the PIN, stop retrying: each retry would count towards the lockout. */
  #pinRejected: FirewallError | undefined;

  constructor(opts: HsmSimSignerOptions) {
    const endpoint = endpointOf(opts);
    if (typeof opts.userPin !== 'string' || opts.userPin.length === 0) throw new FirewallError('SIGNER_CONFIG_INVALID', 'hsm-sim signer needs the user PIN');
    this.#prefix = opts.labelPrefix ?? 'analog-firewall';
    const pin = opts.userPin;
    const connOpts: ConstructorParameters<typeof HsmSimConnection>[0] = {
      endpoint,
      onConnect: async (send) => {
        try {
          await send('login', { role: 'user', pin });
        } catch (e) {
          if (isFirewallError(e, 'PIN_INCORRECT') || isFirewallError(e, 'PIN_LOCKED')) this.#pinRejected = e;
          throw e;
        }
      },
    };
    if (opts.connectTimeoutMs !== undefined) connOpts.connectTimeoutMs = opts.connectTimeoutMs;
    if (opts.requestTimeoutMs !== undefined) connOpts.requestTimeoutMs = opts.requestTimeoutMs;
    this.#conn = new HsmSimConnection(connOpts);
  }

  labelFor(purpose: KeyPurpose): string {
    return `${this.#prefix}-${purpose}`;
  }

  async #call<T>(op: string, fields?: Record<string, unknown>): Promise<T> {
    if (this.#pinRejected !== undefined) {
      throw new FirewallError(this.#pinRejected.code, `${this.#pinRejected.message} (not retried: fix HSM_SIM_USER_PIN and restart)`, { status: 500 });
    }
    return this.#conn.request<T>(op, fields);
  }

  #toInfo(purpose: KeyPurpose, k: DeviceKeyInfo): ResolvedKey {
    const alg = PURPOSE_ALGORITHM[purpose];
    if (k.algorithm !== DEVICE_ALGORITHM[alg] || !k.purposes.includes(purpose)) {
      throw new FirewallError('SIGNER_KEY_MISMATCH', `device key "${k.label}" is ${k.algorithm} for ${k.purposes.join(',')}; ${purpose} needs ${DEVICE_ALGORITHM[alg]}`);
    }
    const kid = kidFor(k.label, k.id);
    return {
      ref: { label: k.label, id: k.id },
      info: { kid, purpose, alg, jwk: { ...publicOnly(k.jwk), kid, alg, use: 'sig' }, x5c: [...k.x5c] },
    };
  }

  /** Create, once, the key for every purpose; returns their public keys. Safe to call concurrently and repeatedly. */
  async ensureKeys(): Promise<PublicKeyInfo[]> {
    const existing = new Map((await this.#call<{ keys: DeviceKeyInfo[] }>('listKeys')).keys.map((k) => [k.label, k]));
    const out: PublicKeyInfo[] = [];
    for (const purpose of KEY_PURPOSES) {
      const label = this.labelFor(purpose);
      const alg = PURPOSE_ALGORITHM[purpose];
      if (!existing.has(label)) {
        try {
          await this.#call('generateKey', { label, algorithm: DEVICE_ALGORITHM[alg], purposes: [purpose], mechanisms: [DEVICE_MECHANISM[alg]] });
        } catch (e) {
          // Another gateway instance made it first: fine, use theirs.
          if (!isFirewallError(e, 'KEY_EXISTS')) throw e;
        }
      }
      this.#keys.delete(purpose);
      out.push(await this.publicKey(purpose));
    }
    return out;
  }

  async #resolve(purpose: KeyPurpose): Promise<ResolvedKey> {
    const cached = this.#keys.get(purpose);
    if (cached !== undefined) return cached;
    if (!KEY_PURPOSES.includes(purpose)) throw new FirewallError('SIGNER_PURPOSE_UNKNOWN', `unknown key purpose "${String(purpose)}"`);
    let k: DeviceKeyInfo;
    try {
      k = await this.#call<DeviceKeyInfo>('getPublicKey', { key: { label: this.labelFor(purpose) } });
    } catch (e) {
      if (isFirewallError(e, 'KEY_NOT_FOUND')) {
        throw new FirewallError('KEY_NOT_FOUND', `hsm-sim has no ${purpose} key "${this.labelFor(purpose)}"; run ensureKeys() first`, { cause: e });
      }
      throw e;
    }
    const resolved = this.#toInfo(purpose, k);
    this.#keys.set(purpose, resolved);
    return resolved;
  }

  async #withKey<T>(purpose: KeyPurpose, fn: (k: ResolvedKey) => Promise<T>): Promise<T> {
    const k = await this.#resolve(purpose);
    try {
      return await fn(k);
    } catch (e) {
      // The key was destroyed (or replaced under the same label): forget it so the next call re-resolves.
      if (isFirewallError(e, 'KEY_NOT_FOUND')) this.#keys.delete(purpose);
      throw e;
    }
  }

  async publicKey(purpose: KeyPurpose): Promise<PublicKeyInfo> {
    const { info } = await this.#resolve(purpose);
    return { ...info, jwk: { ...info.jwk }, x5c: [...info.x5c] };
  }

  async sign(purpose: KeyPurpose, data: Uint8Array): Promise<Signature> {
    return this.#withKey(purpose, async (k) => {
      const r = await this.#call<{ signature: string; counter: number }>('sign', {
        key: k.ref,
        purpose,
        mechanism: DEVICE_MECHANISM[k.info.alg],
        data: Buffer.from(data).toString('base64'),
      });
      return { kid: k.info.kid, alg: k.info.alg, signature: new Uint8Array(Buffer.from(r.signature, 'base64')), counter: r.counter };
    });
  }

  async signBatch(purpose: KeyPurpose, data: Uint8Array[]): Promise<Signature[]> {
    if (data.length === 0) return [];
    return this.#withKey(purpose, async (k) => {
      const mechanism = DEVICE_MECHANISM[k.info.alg];
      // Split into frames the device accepts; all are pipelined on the one connection.
      const jobs: Promise<Signature[]>[] = [];
      let chunk: string[] = [];
      let chunkBytes = 0;
      const flush = () => {
        if (chunk.length === 0) return;
        const items = chunk;
        chunk = [];
        chunkBytes = 0;
        jobs.push(
          this.#call<{ signatures: string[]; counterFirst: number }>('signBatch', { key: k.ref, purpose, mechanism, data: items }).then((r) =>
            r.signatures.map((s, i) => ({ kid: k.info.kid, alg: k.info.alg, signature: new Uint8Array(Buffer.from(s, 'base64')), counter: r.counterFirst + i })),
          ),
        );
      };
      for (const item of data) {
        if (item.length > BATCH_MAX_ITEM_BYTES) {
          flush();
          jobs.push(this.sign(purpose, item).then((s) => [s]));
          continue;
        }
        const b64 = Buffer.from(item.buffer, item.byteOffset, item.byteLength).toString('base64');
        if (chunk.length === BATCH_MAX_ITEMS || chunkBytes + b64.length + 4 > BATCH_MAX_FRAME_BYTES) flush();
        chunk.push(b64);
        chunkBytes += b64.length + 4;
      }
      flush();
      return (await Promise.all(jobs)).flat();
    });
  }

  /** The same device's Sealer (hsm-sim-sealer.ts), on this signer's logged-in connection. */
  sealer(): Sealer {
    this.#sealer ??= new HsmSimSealer((op, fields) => this.#call(op, fields), `${this.#prefix}-seal`);
    return this.#sealer;
  }

  async random(length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(length) || length < 0) throw new FirewallError('SIGNER_REQUEST_INVALID', `random length must be a non-negative integer, got ${length}`, { status: 500 });
    const parts: Promise<Buffer>[] = [];
    for (let left = length; left > 0; left -= RANDOM_MAX) {
      parts.push(this.#call<{ bytes: string }>('random', { length: Math.min(left, RANDOM_MAX) }).then((r) => Buffer.from(r.bytes, 'base64')));
    }
    return new Uint8Array(Buffer.concat(await Promise.all(parts)));
  }

  async health(): Promise<{ ok: boolean; reason?: string }> {
    try {
      const s = await this.#call<{ state: string }>('status');
      if (s.state !== 'active') return { ok: false, reason: s.state === 'zeroized' ? 'DEVICE_ZEROIZED: the device was zeroized after a tamper event' : `device state is ${s.state}` };
      return { ok: true };
    } catch (e) {
      return { ok: false, reason: isFirewallError(e) ? `${e.code}: ${e.message}` : 'unknown error' };
    }
  }

  /**
   * Ask the device for the private key and require a refusal (KEY_NOT_EXTRACTABLE, which the device
   * records in its audit log); return the key's protection attributes.
   */
  async assertNonExtractable(purpose: KeyPurpose): Promise<KeyAttributeReport> {
    const k = await this.#resolve(purpose);
    try {
      await this.#call('exportPrivateKey', { key: k.ref });
    } catch (e) {
      if (!isFirewallError(e, 'KEY_NOT_EXTRACTABLE')) throw e;
      const listed = (await this.#call<{ keys: DeviceKeyInfo[] }>('listKeys')).keys.find((x) => x.id === k.ref.id);
      if (listed === undefined) throw new FirewallError('KEY_NOT_FOUND', `key "${k.ref.label}" disappeared`);
      const report: KeyAttributeReport = { label: listed.label, ...listed.attributes };
      if (!report.sensitive || report.extractable || !report.neverExtractable) {
        throw new FirewallError('SIGNER_KEY_EXTRACTABLE', `device key "${report.label}" reports unsafe attributes`);
      }
      return report;
    }
    throw new FirewallError('SIGNER_KEY_EXTRACTABLE', `hsm-sim did not refuse to export private key "${k.ref.label}"`);
  }

  /** A signed segment of the device audit log (needs the logged-in user session this signer holds). */
  async auditExport(from = 0, limit = 1000): Promise<AuditExport> {
    return this.#call<AuditExport>('auditExport', { from, limit });
  }

  /** The device's signed audit head, for the gateway's transparency log. */
  async auditHead(): Promise<SignedAuditHead> {
    return this.#call<SignedAuditHead>('auditHead');
  }

  /** Device status (state, counter, PIN lock state, audit head). */
  async status(): Promise<Record<string, unknown>> {
    return this.#call<Record<string, unknown>>('status');
  }

  async close(): Promise<void> {
    await this.#conn.close();
  }
}

export function createHsmSimSigner(opts: HsmSimSignerOptions): HsmSimSigner {
  return new HsmSimSigner(opts);
}

export function hsmSimSignerOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): HsmSimSignerOptions {
  const pin = env.HSM_SIM_USER_PIN;
  if (pin === undefined || pin === '') throw new FirewallError('SIGNER_CONFIG_INVALID', 'HSM_SIM_USER_PIN is not set');
  const opts: HsmSimSignerOptions = { userPin: pin };
  if (env.SIGNER_LABEL_PREFIX !== undefined && env.SIGNER_LABEL_PREFIX !== '') opts.labelPrefix = env.SIGNER_LABEL_PREFIX;
  const tcp = env.HSM_SIM_TCP;
  const tls = clientTlsFromEnv(env);
  if (tcp !== undefined && tcp !== '') {
    const m = /^(\[[0-9a-fA-F:]+\]|[^:]+):([0-9]{1,5})$/.exec(tcp);
    if (m === null) throw configInvalid('HSM_SIM_TCP', `must be HOST:PORT, got "${tcp}"`);
    opts.host = m[1]!.replace(/^\[|\]$/g, '');
    opts.port = Number(m[2]);
    if (tls !== undefined) opts.tls = tls;
    else if (!isLoopback(opts.host)) throw configInvalid('HSM_SIM_TLS_CA', `is not set: ${opts.host} is not a loopback address, and the PIN and signatures must not cross a network in clear`);
  } else {
    if (tls !== undefined) throw configInvalid('HSM_SIM_TCP', 'is not set: HSM_SIM_TLS_* needs the device address as HOST:PORT');
    opts.socketPath = env.HSM_SIM_SOCKET ?? 'data/hsm-sim/hsm.sock';
  }
  return opts;
}

function configInvalid(variable: string, message: string): FirewallError {
  return new FirewallError('SIGNER_CONFIG_INVALID', `${variable} ${message}`, { detail: { variable } });
}

const CLIENT_TLS_FILES = ['HSM_SIM_TLS_CA', 'HSM_SIM_TLS_CLIENT_CERT', 'HSM_SIM_TLS_CLIENT_KEY'] as const;

/** All three files or none: a half-configured TLS client must not fall back to plain TCP. */
function clientTlsFromEnv(env: NodeJS.ProcessEnv): ClientTls | undefined {
  const given = CLIENT_TLS_FILES.filter((n) => env[n] !== undefined && env[n] !== '');
  if (given.length === 0) return undefined;
  const missing = CLIENT_TLS_FILES.find((n) => !given.includes(n));
  if (missing !== undefined) throw configInvalid(missing, 'is not set: mutual TLS needs HSM_SIM_TLS_CA, HSM_SIM_TLS_CLIENT_CERT and HSM_SIM_TLS_CLIENT_KEY together');
  const read = (n: (typeof CLIENT_TLS_FILES)[number]): Buffer => {
    try {
      return readFileSync(env[n]!);
    } catch (e) {
      throw configInvalid(n, `names ${env[n]}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const tls: ClientTls = { ca: read('HSM_SIM_TLS_CA'), cert: read('HSM_SIM_TLS_CLIENT_CERT'), key: read('HSM_SIM_TLS_CLIENT_KEY') };
  const servername = env.HSM_SIM_TLS_SERVERNAME;
  if (servername !== undefined && servername !== '') tls.servername = servername;
  return tls;
}
