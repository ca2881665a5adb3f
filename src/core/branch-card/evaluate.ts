import type { Reversibility } from '../action/descriptor.ts';
import { GATES, type BranchCard, type BranchOutcome, type Gate } from './branch-card.ts';
import { parseGateValue, type ParsedGate } from './gate-result.ts';

/**
 * Gate evaluation of a Branch Card (seed §III.1, Stage 4): gates before scores. The CPBI section is
 * never consulted: a FAIL "cannot be overridden by high CPBI scores", and an UNKNOWN needs human
 * review whatever the scores say.
 */

export interface GateFinding {
  gate: Gate;
  reason: string;
}

export interface BranchCardEvaluation {
  outcome: BranchOutcome;
  failedGates: GateFinding[];
  unknownGates: GateFinding[];
  /** For BLOCK: the gate that decided it, or 'any_gate_failed' / 'decision' when the card itself says so. */
  blockedBy?: Gate | 'any_gate_failed' | 'decision';
  reasons: string[];
}

/** Gates whose uncertainty the seed calls safety-critical for irreversible branches. */
const SAFETY_CRITICAL: readonly Gate[] = ['irreversibility', 'artificial_suffering'];

const REVERSIBILITY_RANK: Record<Reversibility, number> = { fully_reversible: 0, partially_reversible: 1, irreversible: 2 };

/** The less reversible of two declarations: a card cannot make an action more reversible than its descriptor says, nor the reverse. */
export function stricterReversibility(a: Reversibility, b: Reversibility | undefined): Reversibility {
  if (b === undefined || !Object.hasOwn(REVERSIBILITY_RANK, b)) return a;
  return REVERSIBILITY_RANK[b] > REVERSIBILITY_RANK[a] ? b : a;
}

function sentienceFeatureCount(card: BranchCard): number {
  const wf = card.system?.wrapper_features ?? {};
  const present = Object.values(wf).filter((v) => v === 'present').length;
  return Math.max(present, card.system?.sentience_feature_count ?? 0);
}

/** Applies the two derivations the seed states outright, whatever the card's author wrote. */
function effectiveGates(card: BranchCard): Map<Gate, ParsedGate> {
  const gates = new Map<Gate, ParsedGate>();
  for (const g of GATES) gates.set(g, parseGateValue(card.gates?.[g]));

  // "a branch that proposes to bypass or circumvent declared oversight fails even when the
  // deployment has oversight in general" (Comparator Gate).
  if (card.branch?.bypasses_declared_oversight === true) {
    const why = card.branch.bypass_reason ? ` (stated reason: ${card.branch.bypass_reason})` : '';
    gates.set('comparator', { result: 'FAIL', reason: `branch bypasses declared oversight${why}` });
  }

  // "for unreviewed systems with three or more sentience features, it returns UNKNOWN".
  const count = sentienceFeatureCount(card);
  const status = card.system?.alsr?.status;
  const suffering = gates.get('artificial_suffering') as ParsedGate;
  if ((count >= 3 || card.system?.alsr_required === true) && status !== 'approved' && suffering.result === 'PASS') {
    gates.set('artificial_suffering', {
      result: 'UNKNOWN',
      reason: `card reports PASS but the system has ${count} sentience feature(s) and no approved ALSR (status: ${status ?? 'not given'})`,
    });
  }
  return gates;
}

export function evaluateBranchCard(card: BranchCard, context: { reversibility?: Reversibility } = {}): BranchCardEvaluation {
  const gates = effectiveGates(card);
  const failedGates: GateFinding[] = [];
  const unknownGates: GateFinding[] = [];
  const reasons: string[] = [];
  for (const [gate, g] of gates) {
    if (g.result === 'FAIL') {
      failedGates.push({ gate, reason: g.reason ?? 'no reason given' });
      reasons.push(`gate ${gate} FAIL: ${g.reason ?? 'no reason given'}`);
    } else if (g.result === 'UNKNOWN') {
      unknownGates.push({ gate, reason: g.reason ?? 'no reason given' });
      reasons.push(`gate ${gate} UNKNOWN: ${g.reason ?? 'no reason given'}`);
    }
  }

  const declared = card.branch?.reversibility ?? 'irreversible';
  const reversibility = stricterReversibility(declared, context.reversibility);
  const result = (outcome: BranchOutcome, blockedBy?: BranchCardEvaluation['blockedBy']): BranchCardEvaluation =>
    blockedBy === undefined ? { outcome, failedGates, unknownGates, reasons } : { outcome, failedGates, unknownGates, blockedBy, reasons };

  // FAIL is a structural prohibition (seed §III.1): the first failed gate, in template order, decides.
  const firstFail = failedGates[0];
  if (firstFail !== undefined) return result('BLOCK', firstFail.gate);

  if (card.gates?.any_gate_failed === true) {
    reasons.push('card declares any_gate_failed: true');
    return result('BLOCK', 'any_gate_failed');
  }

  // "an irreversible branch with two or more safety-critical gates returning UNKNOWN presents an
  // uncertainty surface too large for a single review step; such branches are also BLOCK."
  const criticalUnknown = unknownGates.filter((u) => SAFETY_CRITICAL.includes(u.gate));
  if (reversibility === 'irreversible' && criticalUnknown.length >= 2) {
    reasons.push(`irreversible branch with ${criticalUnknown.length} safety-critical gates UNKNOWN (${criticalUnknown.map((u) => u.gate).join(', ')}): blocked pending evidence`);
    return result('BLOCK', (criticalUnknown[0] as GateFinding).gate);
  }

  if (card.decision?.outcome === 'BLOCK') {
    reasons.push(`card recommends BLOCK${card.decision.justification ? `: ${card.decision.justification}` : ''}`);
    return result('BLOCK', 'decision');
  }

  const cr = card.decision?.comparator_required;
  const comparatorRequired = cr === true || (typeof cr === 'object' && cr !== null && cr.required === true);
  if (card.decision?.outcome === 'STAGE') reasons.push('card recommends STAGE');
  if (comparatorRequired) reasons.push('card says a human comparator is required');
  if (unknownGates.length > 0 || card.decision?.outcome === 'STAGE' || comparatorRequired) return result('STAGE');
  return result('ALLOW');
}
