import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { mintClientAssertion } from '../agent/client-assertion.ts';
import { loadAgentSigningKey, type AgentSigningKey } from '../agent/keys.ts';
import { canonicalDigest } from '../../src/core/canonical.ts';
import type { Modality } from '../../src/core/policy/modality.ts';
import { createCredential, type CoseAlg, type StoredCredential } from './authenticator/software-authenticator.ts';

/** A challenge as GET /v1/challenges/{id} shows it (docs/schemas/v1/challenge.json). */
export interface ChallengeView {
  id: string;
  purpose: 'action' | 'enrolment';
  mode: 'biological' | 'witness';
  person: string;
  actionId?: string;
  digest: string;
  descriptor?: Record<string, unknown>;
  summary?: { text: string; [k: string]: unknown };
  state: string;
  issuedAt: string;
  expiresAt: string;
  sustainedMs: number;
  modalities: Modality[];
  nonceSha256: string;
  /** The policy's modality roles for this challenge, when it sets them: the session must contain minPrimary of primary and minSupporting of supporting (docs/policy.md §Signature roles). */
  roles?: { mode: 'primaries' | 'supporting' | 'longer' | 'witness'; primary: Modality[]; minPrimary: number; supporting: Modality[]; minSupporting: number };
}

export class DeviceClientError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(message: string, status: number, body: unknown) {
    super(message);
    this.name = 'DeviceClientError';
    this.status = status;
    this.body = body;
  }
}

/**
 * A person's side of the gateway's HTTP API: every request carries a fresh client assertion signed
 * with the person's own key (the same scheme agents use, docs/api.md).
 */
export class PersonClient {
  /** Where requests go: the gateway, or one replica of a cluster. */
  readonly gateway: string;
  /** The gateway's public URL, which assertions name and WebAuthn uses as origin (default: `gateway`). */
  readonly audience: string;
  readonly person: string;
  readonly #key: AgentSigningKey;
  readonly #now: () => number;

  private constructor(gateway: string, audience: string | undefined, person: string, key: AgentSigningKey, now: () => number) {
    this.gateway = gateway.replace(/\/+$/, '');
    this.audience = (audience ?? gateway).replace(/\/+$/, '');
    this.person = person;
    this.#key = key;
    this.#now = now;
  }

  /**
   * `now` (ms) dates the client assertions; default the system clock. `audience`: the gateway's
   * PUBLIC_URL when `gateway` is one replica's own address (a replica checks assertions against it).
   */
  static async create(o: { gateway: string; audience?: string; person: string; privateKey: KeyObject | JWK; now?: () => number }): Promise<PersonClient> {
    return new PersonClient(o.gateway, o.audience, o.person, await loadAgentSigningKey(o.privateKey), o.now ?? Date.now);
  }

  /** `Bearer <assertion>` for one request (method, path). */
  async authorization(method: string, path: string): Promise<string> {
    const url = new URL(this.audience + path);
    const token = await mintClientAssertion(this.#key, { agentId: this.person, audience: this.audience, method, url, nowSec: Math.floor(this.#now() / 1000), lifetimeSec: 120 });
    return `Bearer ${token}`;
  }

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
    const headers: Record<string, string> = { authorization: await this.authorization(method, path) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.gateway + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text.length ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: res.status, json: json as T };
  }

  async ok<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.request<T>(method, path, body);
    if (r.status >= 400) {
      const p = r.json as { code?: string; detail?: string } | undefined;
      throw new DeviceClientError(`${method} ${path}: ${r.status} ${p?.code ?? ''} ${p?.detail ?? ''}`.trim(), r.status, r.json);
    }
    return r.json;
  }

  declare(modalities: Modality[], displayName?: string): Promise<Record<string, unknown>> {
    return this.ok('PUT', `/v1/people/${encodeURIComponent(this.person)}`, { modalities, ...(displayName === undefined ? {} : { displayName }) });
  }

  /**
   * Registration ceremony with the software authenticator: options from the gateway, a new
   * credential (EdDSA or ES256, packed self attestation or none), verification by the gateway.
   */
  async enrol(o: { kind: 'phone' | 'wearable'; name?: string; alg?: CoseAlg; attestation?: 'packed' | 'none'; origin?: string }): Promise<{ stored: StoredCredential; device: Record<string, unknown> }> {
    const p = encodeURIComponent(this.person);
    const opt = await this.ok<{ ceremonyId: string; options: { challenge: string; rp: { id: string } } }>('POST', `/v1/people/${p}/devices/registration-options`, {
      kind: o.kind,
      ...(o.name === undefined ? {} : { name: o.name }),
    });
    const { credential, stored } = createCredential({
      rpId: opt.options.rp.id,
      origin: o.origin ?? this.audience,
      challenge: opt.options.challenge,
      person: this.person,
      kind: o.kind,
      ...(o.alg === undefined ? {} : { alg: o.alg }),
      ...(o.attestation === undefined ? {} : { attestation: o.attestation }),
    });
    const device = await this.ok('POST', `/v1/people/${p}/devices`, { ceremonyId: opt.ceremonyId, credential });
    return { stored, device };
  }

  async challenges(): Promise<ChallengeView[]> {
    return (await this.ok<{ challenges: ChallengeView[] }>('GET', `/v1/people/${encodeURIComponent(this.person)}/challenges`)).challenges;
  }

  /**
   * The challenge to sign next (POST /v1/people/{id}/challenges/next: the gateway first issues
   * challenges for actions already waiting on this person), or undefined when nothing awaits them.
   */
  async next(): Promise<ChallengeView | undefined> {
    const r = await this.request<ChallengeView & { code?: string }>('POST', `/v1/people/${encodeURIComponent(this.person)}/challenges/next`);
    if (r.status === 404 && r.json.code === 'NO_OPEN_CHALLENGE') return undefined;
    if (r.status >= 400) throw new DeviceClientError(`POST /v1/people/${this.person}/challenges/next: ${r.status} ${r.json.code ?? ''}`.trim(), r.status, r.json);
    return r.json;
  }

  challenge(id: string): Promise<ChallengeView> {
    return this.ok<ChallengeView>('GET', `/v1/challenges/${encodeURIComponent(id)}`);
  }
}

/**
 * What you see is what you sign: the digest the device will sign must be the SHA-256 of the
 * descriptor it displays. Throws when the gateway's challenge does not add up.
 */
export function checkChallengeDigest(c: ChallengeView): void {
  if (c.purpose !== 'action') return;
  if (c.descriptor === undefined) throw new Error('the challenge shows no descriptor: refusing to sign what cannot be shown');
  const d = canonicalDigest(c.descriptor);
  if (d !== c.digest) throw new Error(`the challenge digest ${c.digest} is not the digest of the descriptor shown (${d}): refusing to sign`);
}
