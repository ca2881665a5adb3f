/**
 * Pair attacks for the default HIGH policy (two primary modalities captured together), measured as
 * pairs (bench/eval-liveness.ts). Each attempt is one two-primary session: one modality attacked by
 * the class under test, the other by a companion attack — the same class (both attacked), or a
 * genuine-looking but re-used or synthetic stream: a replay of the victim's submitted session, an
 * unsubmitted recording of the victim answering another challenge, a re-assembly of the victim's
 * earlier elements (replay-warped for gaze, which has no elements), or a clean synthetic answer to
 * this challenge. The attacker never has a live answer of the victim to this challenge: that is
 * live synthesis or a live impostor (reference rows, stopped by the passkey).
 */
import { ATTACK_KINDS, REFERENCE_ATTACKS, TYPING_ONLY_ATTACKS, attack, attackModalities, restrict, type AttackKind } from '../clients/device/attacks.ts';
import type { SimFamily } from '../clients/device/family.ts';
import { DEFAULT_CONFIG } from '../src/core/liveness/config.ts';
import { decideAcceptance } from '../src/core/liveness/fusion.ts';
import type { ChunkArrival, Fingerprint, LivenessResult, SessionStreams } from '../src/core/liveness/types.ts';
import type { Modality } from '../src/core/policy/modality.ts';
import type { Stimulus } from '../src/core/stimulus/types.ts';
import { FUSION_CANDIDATES } from './liveness-candidates.ts';

export const PRIMARY: readonly Modality[] = ['motion', 'typing', 'gaze', 'voice'];
const PAIRS: [Modality, Modality][] = [];
for (let a = 0; a < PRIMARY.length; a++) for (let b = a + 1; b < PRIMARY.length; b++) PAIRS.push([PRIMARY[a]!, PRIMARY[b]!]);

/** Signal-level classes measured as pairs (contradict is a two-modality class already; reference rows are not targeted). */
export const PAIR_CLASSES: readonly AttackKind[] = ATTACK_KINDS.filter((a) => !REFERENCE_ATTACKS.includes(a) && a !== 'contradict');
export const COMPANIONS = ['same', 'replay', 'recording', 're-assembled', 'synthetic-periodic'] as const;
export type Companion = (typeof COMPANIONS)[number];

export interface PairPlan { pair: [Modality, Modality]; attacked: Modality; other: Modality; companion: Companion; otherKind: AttackKind }

/** Attempt i of class a: pairs, attacked side and companions in rotation. */
export function pairPlan(a: AttackKind, i: number): PairPlan {
  const pairs = TYPING_ONLY_ATTACKS.includes(a) ? PAIRS.filter((p) => p.includes('typing')) : PAIRS;
  const pair = pairs[i % pairs.length]!;
  const side = pair[Math.floor(i / pairs.length) % 2]!;
  // The attacked side must be one the class applies to (typing for the timing bots, not gaze for re-assembly).
  const attacked = attackModalities(a).includes(side) ? side : pair.find((m) => m !== side)!;
  const other = pair.find((m) => m !== attacked)!;
  const companion = COMPANIONS[Math.floor(i / 2) % COMPANIONS.length]!;
  let otherKind: AttackKind = companion === 'same' ? a : companion;
  if (!attackModalities(otherKind).includes(other)) otherKind = companion === 'same' ? 'white-noise' : 'replay-warped';
  return { pair, attacked, other, companion, otherKind };
}

export interface PairAttempt { stimulus: Stimulus; streams: SessionStreams; arrivals: Partial<Record<Modality, ChunkArrival[]>>; history: Fingerprint[] }

/** Build the two-primary session of one pair attempt on `stimulus` (which has both modalities). */
export function pairAttempt(a: AttackKind, plan: PairPlan, stimulus: Stimulus, victim: { id: string }, family: SimFamily, seed: string): PairAttempt {
  // Each side is attacked on its own modality's stimulus (a modality's stimulus does not depend on the
  // others): the attacker's material for it — earlier accepted sessions, recordings — is the victim's
  // sessions of that modality, whose element descriptors the gateway kept.
  const one = attack(a, { stimulus: restrict(stimulus, [plan.attacked]), victim, modality: plan.attacked, seed: seed + '/attacked', family });
  const two = attack(plan.otherKind, { stimulus: restrict(stimulus, [plan.other]), victim, modality: plan.other, seed: seed + '/other', family });
  return { stimulus, streams: { ...two.streams, ...one.streams }, arrivals: { ...two.arrivals, ...one.arrivals }, history: [...one.history, ...two.history] };
}

/** The decision of every fusion candidate on one verified session (the rule is a pure function of the checks). */
export function fusionDecisions(res: LivenessResult, modalities: readonly Modality[], supporting: readonly Modality[]): boolean[] {
  return FUSION_CANDIDATES.map((c) => decideAcceptance({ modalities, results: res.modalities, checks: res.checks, supporting: new Set(supporting), fusion: c.fusion }).accepted);
}

/** What decided: the hard failures and the per-modality margins (shipped fusion parameters), for the report. */
export function decisionDetail(res: LivenessResult, modalities: readonly Modality[], supporting: readonly Modality[]): string {
  const d = decideAcceptance({ modalities, results: res.modalities, checks: res.checks, supporting: new Set(supporting), fusion: DEFAULT_CONFIG.fusion });
  const soft = Object.values(res.modalities).flatMap((r) => r!.checks).filter((c) => !c.passed && c.margin !== undefined).map((c) => `${c.id} ${c.margin!.toFixed(2)}`);
  return `hard [${d.hardFailures.join(', ')}] margins ${JSON.stringify(d.margins)} soft failures [${soft.join(', ')}]`;
}
