#!/usr/bin/env node
/**
 * The device simulator CLI: a phone or wearable of one person, with a software WebAuthn
 * authenticator and the physiological simulators, talking to the gateway (docs/protocol.md).
 *
 *   npm run -s device -- enrol --gateway URL --person ID --key person.jwk --out cred.json
 *        [--kind phone|wearable] [--name NAME] [--alg EdDSA|ES256] [--attestation packed|none]
 *        [--modalities hrv,motion] [--origin URL]
 *   npm run -s device -- challenges --gateway URL --person ID --key person.jwk
 *   npm run -s device -- sign --gateway URL --person ID --key person.jwk --credential cred.json
 *        --challenge ID|next [--modalities hrv,motion] [--attack KIND] [--replay streams.json]
 *        [--save streams.json] [--sim-person ID] [--seed S] [--origin URL] [--auth header|hello]
 *   npm run -s device -- attacks
 *
 * Exit codes: 0 accepted (or done), 2 refused by the gateway, 3 refused by the device (the
 * gateway's data did not add up), 1 usage or other error.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { JWK } from 'jose';
import { exitQuietlyWhenStdoutCloses } from '../../src/cli/stdout-closed.ts';
import { isModality, type Modality } from '../../src/core/policy/modality.ts';
import type { SessionStreams } from '../../src/core/liveness/types.ts';
import { COSE_ALG, loadCredential, saveCredential } from './authenticator/software-authenticator.ts';
import { checkChallengeDigest, PersonClient } from './gateway-client.ts';
import { runLiveSession, simulatorSource } from './live-session.ts';
import { makePerson } from './person.ts';
import { progressWriter } from './progress.ts';
import { TRANSPORT_ATTACKS, transportAttack, type TransportAttack } from './transport-attacks.ts';
import { TYPING_ONLY_ATTACKS } from './attacks.ts';

const USAGE = `usage:
  npm run -s device -- enrol --gateway URL --person ID --key person.jwk --out cred.json [--kind phone|wearable] [--name N] [--alg EdDSA|ES256] [--attestation packed|none] [--modalities hrv,motion] [--origin URL]
  npm run -s device -- challenges --gateway URL --person ID --key person.jwk
  npm run -s device -- sign --gateway URL --person ID --key person.jwk --credential cred.json --challenge ID|next [--modalities hrv,motion] [--attack KIND] [--replay streams.json] [--save streams.json] [--sim-person ID] [--seed S] [--origin URL] [--auth header|hello]
  npm run -s device -- attacks`;

class UsageError extends Error {}

function parse(argv: string[], known: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument '${a}'`);
    const name = a.slice(2);
    if (!known.includes(name)) throw new UsageError(`unknown option --${name}`);
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`--${name} needs a value`);
    out[name] = v;
  }
  return out;
}

function need(f: Record<string, string>, ...names: string[]): void {
  for (const n of names) if (f[n] === undefined) throw new UsageError(`--${n} is required`);
}

function modalities(raw: string | undefined): Modality[] | undefined {
  if (raw === undefined) return undefined;
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const m of list) if (!isModality(m)) throw new UsageError(`unknown modality '${m}' (hrv, motion, typing, gaze, voice, eda)`);
  return list as Modality[];
}

async function client(f: Record<string, string>): Promise<PersonClient> {
  const jwk = JSON.parse(readFileSync(f['key']!, 'utf8')) as JWK;
  return PersonClient.create({ gateway: f['gateway']!, person: f['person']!, privateKey: jwk });
}

async function enrol(argv: string[]): Promise<number> {
  const f = parse(argv, ['gateway', 'person', 'key', 'out', 'kind', 'name', 'alg', 'attestation', 'modalities', 'origin']);
  need(f, 'gateway', 'person', 'key', 'out');
  const kind = (f['kind'] ?? 'phone') as 'phone' | 'wearable';
  if (kind !== 'phone' && kind !== 'wearable') throw new UsageError('--kind is phone or wearable');
  const alg = f['alg'] === undefined || f['alg'] === 'EdDSA' ? COSE_ALG.EdDSA : f['alg'] === 'ES256' ? COSE_ALG.ES256 : undefined;
  if (alg === undefined) throw new UsageError('--alg is EdDSA or ES256');
  const attestation = (f['attestation'] ?? 'packed') as 'packed' | 'none';
  if (attestation !== 'packed' && attestation !== 'none') throw new UsageError('--attestation is packed or none');
  const c = await client(f);
  const mods = modalities(f['modalities']);
  if (mods !== undefined) await c.declare(mods);
  const { stored, device } = await c.enrol({ kind, alg, attestation, ...(f['name'] === undefined ? {} : { name: f['name'] }), ...(f['origin'] === undefined ? {} : { origin: f['origin'] }) });
  saveCredential(f['out']!, stored);
  process.stdout.write(`${JSON.stringify({ enrolled: device }, null, 2)}\n`);
  process.stderr.write(`credential written to ${f['out']} (keep it private: it holds the passkey's private key)\n`);
  return 0;
}

async function challenges(argv: string[]): Promise<number> {
  const f = parse(argv, ['gateway', 'person', 'key']);
  need(f, 'gateway', 'person', 'key');
  const list = await (await client(f)).challenges();
  for (const c of list) process.stdout.write(`${c.id}  ${c.mode}  expires ${c.expiresAt}  ${c.summary?.text ?? ''}\n`);
  if (list.length === 0) process.stdout.write('no open challenges\n');
  return 0;
}

async function sign(argv: string[]): Promise<number> {
  const f = parse(argv, ['gateway', 'person', 'key', 'credential', 'challenge', 'modalities', 'attack', 'replay', 'save', 'sim-person', 'seed', 'origin', 'auth']);
  need(f, 'gateway', 'person', 'key', 'credential', 'challenge');
  const c = await client(f);
  const credential = loadCredential(f['credential']!);
  if (credential.person !== c.person) throw new UsageError(`the credential belongs to '${credential.person}', not '${c.person}'`);
  let id = f['challenge']!;
  if (id === 'next') {
    const next = await c.next();
    if (next === undefined) throw new Error('no challenge awaits your signature');
    id = next.id;
  }
  const view = await c.challenge(id);
  // What you see is what you sign: the digest must be the descriptor's, or the device refuses.
  checkChallengeDigest(view);
  process.stderr.write(`challenge ${view.id}\n  ${view.summary?.text ?? '(no summary)'}\n  digest ${view.digest}\n  expires ${view.expiresAt}; sustain ${view.sustainedMs / 1000} s\n`);
  if (view.mode !== 'biological') throw new UsageError('this challenge is answered through an institutional witness, not by a device session');
  const attackKind = f['attack'] as TransportAttack | undefined;
  if (attackKind !== undefined && !(TRANSPORT_ATTACKS as readonly string[]).includes(attackKind)) throw new UsageError(`unknown attack '${attackKind}' (see: npm run -s device -- attacks)`);
  let mods = modalities(f['modalities']) ?? view.modalities;
  // The attack classes of attacks.ts answer with one modality: use the first.
  if (attackKind !== undefined) mods = mods.slice(0, 1);
  if (attackKind !== undefined && (TYPING_ONLY_ATTACKS as readonly string[]).includes(attackKind) && mods[0] !== 'typing') throw new UsageError(`attack '${attackKind}' answers typing only (use --modalities typing)`);
  const outside = mods.filter((m) => !view.modalities.includes(m));
  if (outside.length > 0 && attackKind === undefined) throw new UsageError(`not allowed for this challenge: ${outside.join(', ')} (allowed: ${view.modalities.join(', ')})`);
  const seed = f['seed'] ?? randomUUID();
  const simPerson = makePerson(f['sim-person'] ?? c.person);
  const recording = f['replay'] === undefined ? undefined : (JSON.parse(readFileSync(f['replay'], 'utf8')) as { streams: SessionStreams }).streams;
  const plan =
    attackKind === undefined
      ? { source: simulatorSource(simPerson, mods, seed), hooks: {}, note: 'honest live answer' }
      : transportAttack(attackKind, { victim: simPerson, modalities: mods, durationMs: view.sustainedMs, seed, ...(recording === undefined ? {} : { recording }) });
  process.stderr.write(`answering with ${mods.join(', ')}: ${plan.note}\n`);
  const r = await runLiveSession({
    client: c,
    challengeId: view.id,
    credential,
    modalities: mods,
    digest: view.digest,
    source: plan.source,
    hooks: plan.hooks,
    ...(f['origin'] === undefined ? {} : { origin: f['origin'] }),
    ...(f['auth'] === 'hello' ? { authVia: 'hello' as const } : {}),
    onCounter: (cred) => saveCredential(f['credential']!, cred),
    onProgress: progressWriter(),
  });
  process.stderr.write('\n');
  if (f['save'] !== undefined) {
    // Simulated samples only: a real device would never keep them (docs/privacy.md).
    writeFileSync(f['save'], JSON.stringify({ simulated: true, challengeId: view.id, streams: r.streams }) + '\n', { mode: 0o600 });
  }
  process.stdout.write(`${JSON.stringify({ result: r.result ?? null, closeCode: r.closeCode, transcriptHash: r.transcriptHash ?? null, deviceRefusal: r.deviceRefusal ?? null })}\n`);
  if (r.deviceRefusal !== undefined) return 3;
  return r.result?.outcome === 'accepted' ? 0 : 2;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'enrol':
      return enrol(rest);
    case 'challenges':
      return challenges(rest);
    case 'sign':
      return sign(rest);
    case 'attacks':
      process.stdout.write(`${TRANSPORT_ATTACKS.join('\n')}\n`);
      return 0;
    default:
      throw new UsageError(cmd === undefined ? 'no command' : `unknown command '${cmd}'`);
  }
}

exitQuietlyWhenStdoutCloses();
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof UsageError ? `${e.message}\n${USAGE}` : `error: ${(e as Error).message}`}\n`);
    process.exit(1);
  },
);
