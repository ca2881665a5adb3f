import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { expect } from 'vitest';
import WebSocket from 'ws';
import { registerPrincipal } from '../../src/gateway/register-principal.ts';
import type { Modality } from '../../src/core/policy/modality.ts';
import type { Signer } from '../../src/core/signer.ts';
import type { Sealer } from '../../src/core/sealer.ts';
import type { Clock } from '../../src/core/clock.ts';
import type { GatewayMessage, HelloMessage } from '../../src/core/signature/messages.ts';
import type { PrincipalRecord } from '../../src/gateway/ports/principals.ts';
import type { StoredCredential } from '../../clients/device/authenticator/software-authenticator.ts';
import { PersonClient, type ChallengeView } from '../../clients/device/gateway-client.ts';
import { simulatorSource, type LiveSessionOptions } from '../../clients/device/live-session.ts';
import { makePerson } from '../../clients/device/person.ts';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';
import { MemorySigner } from '../helpers/memory-signer.ts';

/** Shortest sustained duration the stimulus supports (src/core/stimulus: 20 s); the example policy asks for 30 s. */
export const SUSTAINED = '20s';

/**
 * A MemorySigner whose random bytes are a fixed sequence, so challenge nonces (and thus stimuli)
 * are the same on every run and a simulated person's honest answer is reproducible.
 */
export class SeededSigner extends MemorySigner {
  #n = 0;
  readonly #label: string;
  constructor(label: string) {
    super();
    this.#label = label;
  }
  override async random(length: number): Promise<Uint8Array> {
    await super.random(length); // keeps the health behaviour
    return new Uint8Array(createHash('sha256').update(`${this.#label}/${this.#n++}`).digest().subarray(0, length));
  }
}

export async function startSignatureHarness(o: { label: string; clock?: Clock; signer?: Signer; sealer?: Sealer; editPolicy?: (y: string) => string; env?: Record<string, string>; keepRoles?: boolean } = { label: 'sig' }): Promise<Harness> {
  return startHarness({
    ...(o.keepRoles === undefined ? {} : { keepRoles: o.keepRoles }),
    signer: o.signer ?? new SeededSigner(o.label),
    ...(o.sealer === undefined ? {} : { sealer: o.sealer }),
    ...(o.clock === undefined ? {} : { clock: o.clock }),
    ...(o.env === undefined ? {} : { env: o.env }),
    editPolicy: (y) => {
      const shorter = y.replace(/sustained: 30s/g, `sustained: ${SUSTAINED}`);
      return o.editPolicy ? o.editPolicy(shorter) : shorter;
    },
  });
}

export interface TestPerson {
  id: string;
  key: KeyObject;
  client: PersonClient;
  credential?: StoredCredential;
}

/** Registers a principal (role authorizer by default), declares modalities and enrols a passkey. */
export async function addPerson(h: Harness, id: string, o: { roles?: string[]; modalities?: Modality[]; device?: boolean; alg?: -8 | -7; attestation?: 'packed' | 'none' } = {}): Promise<TestPerson> {
  const k = generateKeyPairSync('ed25519');
  await registerPrincipal(h.gw.ctx.store, { id, roles: o.roles ?? ['authorizer'], publicJwk: k.publicKey.export({ format: 'jwk' }) }, Date.now());
  const client = await PersonClient.create({ gateway: h.url, person: id, privateKey: k.privateKey });
  await client.declare(o.modalities ?? ['motion']);
  const p: TestPerson = { id, key: k.privateKey, client };
  if (o.device !== false) {
    p.credential = (await client.enrol({ kind: 'phone', ...(o.alg === undefined ? {} : { alg: o.alg }), ...(o.attestation === undefined ? {} : { attestation: o.attestation }) })).stored;
  }
  return p;
}

/**
 * Simulated answers for tests whose gateway runs in a process of its own (test/cluster,
 * test/gateway/sealed-challenges). Its challenge nonces come from the HSM, so the stimulus differs on
 * every run, and the liveness decision refuses an honest answer now and then by design (docs/liveness.md:
 * family A motion 1 % at 30 s; at 20 s, 0-2 % depending on the simulator's seed, every one of them
 * the stationarity scan). Those tests are about the cluster and the challenges, not about liveness,
 * so each signs with a seed of its person whose answer was accepted for 5,000 of 5,000 random stimuli
 * (an earlier choice, carol's and dave's, was refused for 1.3 % of them: the suite's live-session
 * flake). test/liveness/steady-answers.test.ts keeps them so on fixed stimuli. A seed is the person's
 * state that day (sessionState, noise): a test signing twice as one person uses two.
 */
export const STEADY_SEEDS = {
  pam: ['a-to-b', 'after-restart-4'],
  alice: ['cluster-high'],
  bob: ['cluster-crit-bob-6'],
  carol: ['cluster-crit-carol-3'],
  dave: ['cluster-crit-dave-1'],
} as const satisfies Record<string, readonly string[]>;

/** What `runLiveSession` needs for an honest session of `p` (simulated live motion) answering challenge `c`. */
export function honestSession(p: TestPerson, c: { id: string; digest: string }, seed: string): LiveSessionOptions {
  return {
    client: p.client,
    challengeId: c.id,
    credential: p.credential!,
    modalities: ['motion'],
    digest: c.digest,
    source: simulatorSource(makePerson(p.id), ['motion'], seed),
  };
}

/** A 5,000 EUR transfer: HIGH by the example policy's large-transfer rule. */
export async function highTransfer(h: Harness, key: string, amount = 5000): Promise<{ id: string; digest: string; status: string }> {
  const res = await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'DE89370400440532013000', amount, currency: 'EUR' }, headers: { 'idempotency-key': key } });
  const a = (await res.json()) as { id: string; digest: string; status: string };
  if (a.status !== 'awaiting_signature') throw new Error(`expected awaiting_signature, got ${a.status}`);
  return a;
}

/** The open challenge of `p` for `actionId` (issued asynchronously when the action started waiting). */
export async function challengeOf(p: TestPerson, actionId: string, not?: string): Promise<ChallengeView> {
  return waitFor(async () => (await p.client.challenges()).find((c) => c.actionId === actionId && c.id !== not), 5000);
}

export async function actionStatus(h: Harness, id: string): Promise<string> {
  return ((await (await h.as('alice', 'GET', `/v1/actions/${id}`)).json()) as { status: string }).status;
}

export async function entries(h: Harness, q: { actionId?: string; type?: string }): Promise<Record<string, unknown>[]> {
  return (await h.log.query({ ...q, limit: 1000 })).map((e) => e.entry);
}

/** A raw session socket for bad-input tests: connect, send frames, collect what the gateway says. */
export class RawSession {
  readonly ws: WebSocket;
  readonly messages: GatewayMessage[] = [];
  closeCode = 0;
  readonly closed: Promise<number>;
  readonly opened: Promise<void>;
  status = 0;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers, perMessageDeflate: false });
    this.opened = new Promise((resolve, reject) => {
      this.ws.on('open', () => resolve());
      this.ws.on('unexpected-response', (req, res) => {
        this.status = res.statusCode ?? 0;
        res.resume();
        req.destroy();
        reject(new Error(`upgrade refused: ${this.status}`));
      });
      this.ws.on('error', reject);
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code) => {
        this.closeCode = code;
        resolve(code);
      });
      this.ws.on('unexpected-response', () => resolve(0));
    });
    this.ws.on('message', (d) => this.messages.push(JSON.parse(String(d)) as GatewayMessage));
  }

  static async open(p: TestPerson, challengeId: string, o: { auth?: 'header' | 'none' } = {}): Promise<RawSession> {
    const path = `/v1/challenges/${challengeId}/session`;
    const headers: Record<string, string> = o.auth === 'none' ? {} : { authorization: await p.client.authorization('GET', path) };
    const s = new RawSession(p.client.gateway.replace(/^http/, 'ws') + path, headers);
    await s.opened;
    return s;
  }

  send(v: unknown): void {
    this.ws.send(typeof v === 'string' ? v : JSON.stringify(v));
  }

  hello(p: TestPerson, c: ChallengeView, over: Record<string, unknown> = {}): void {
    this.send({ v: 1, type: 'hello', challengeId: c.id, person: p.id, credentialId: p.credential?.id ?? 'no-device', digest: c.digest, modalities: c.modalities, ...over });
  }

  async waitFor<T extends GatewayMessage['type']>(type: T, timeoutMs = 5000): Promise<Extract<GatewayMessage, { type: T }>> {
    return waitFor(() => this.messages.find((m) => m.type === type) as Extract<GatewayMessage, { type: T }> | undefined, timeoutMs, 10);
  }
}

/** One failure counted against `p`: a session opened on a challenge that does not exist (nothing else changes). */
export function failElsewhere(h: Harness, p: PrincipalRecord): Promise<unknown> {
  const hello = { v: 1, type: 'hello', challengeId: 'chl_none', person: p.id, credentialId: 'none', digest: '0'.repeat(64), modalities: ['motion'] } as HelloMessage;
  return h.signatures.service!.beginSession(p, 'chl_none', hello).then(
    () => expect.fail('a session on a missing challenge began'),
    (e: unknown) => expect(e).toMatchObject({ code: 'CHALLENGE_NOT_FOUND' }),
  );
}

/**
 * Closes the open challenges of `person` the way a restart does (nonce lost, nothing issued in their
 * place), so that a test starts from "nothing is open for them" on actions already waiting.
 */
export async function dropOpenChallenges(h: Harness, person: string): Promise<void> {
  const now = h.gw.ctx.clock.now();
  await h.gw.ctx.store.tx(async (tx) => {
    for (const c of await h.gw.ctx.store.signatures.openChallengesOf(person)) await tx.signatures.endChallenge(c.id, 'expired', 'GATEWAY_RESTARTED', now);
  });
}

/** `n` counted failures of person `id` (five lock them: lockAfterFailures). */
export async function failTimes(h: Harness, id: string, n: number): Promise<void> {
  const p = (await h.gw.ctx.store.principals.get(id))!;
  for (let i = 0; i < n; i++) await failElsewhere(h, p);
}

/** The HIGH action still waits: no verified signature, no authorisation, nothing executed. */
export async function expectNoApproval(h: Harness, actionId: string): Promise<void> {
  expect(await actionStatus(h, actionId)).toBe('awaiting_signature');
  expect(await entries(h, { actionId, type: 'signature.verified' })).toEqual([]);
  expect(await entries(h, { actionId, type: 'action.authorised' })).toEqual([]);
  expect(h.payments.executions.find((x) => x.key === actionId)).toBeUndefined();
}

/**
 * Makes the gateway throw once, right after the next session has started (its challenge consumed,
 * the stimulus about to run): a fault of the gateway's own, not of the person's device.
 */
export function faultNextSessionStart(h: Harness): void {
  const svc = h.signatures.service!;
  const registerLive = svc.registerLive;
  svc.registerLive = () => {
    svc.registerLive = registerLive;
    throw new Error('injected fault');
  };
}
