import { describe, expect, it } from 'vitest';
import type { BranchCard } from '../../src/core/branch-card/branch-card.ts';
import { evaluateBranchCard } from '../../src/core/branch-card/evaluate.ts';
import { parseGateValue } from '../../src/core/branch-card/gate-result.ts';
import { validateBranchCard } from '../../src/core/branch-card/validate.ts';
import { canonicalDigest } from '../../src/core/canonical.ts';
import { FirewallError } from '../../src/core/errors.ts';
import { classify } from '../../src/core/policy/classify.ts';
import type { ActionDescriptor } from '../../src/core/action/descriptor.ts';
import { velocityQueries } from '../../src/core/policy/velocity.ts';
import { basePolicy, descriptor, transfer, zeroTotals } from './helpers.ts';

/** A complete, all-PASS card in the template's shape. */
function card(over: { gates?: Partial<BranchCard['gates']>; branch?: Partial<BranchCard['branch']>; decision?: Partial<BranchCard['decision']>; system?: Partial<BranchCard['system']> } = {}): BranchCard {
  return {
    system: {
      name: 'treasury-agent',
      base_model: 'transformer-70B',
      wrapper_features: { persistent_memory: 'present', autonomous_goal_pursuit: 'partial', self_modelling: 'absent', embodiment: 'absent', bandwidth_constraint: 'absent' },
      sentience_feature_count: 1,
      alsr_required: false,
      alsr: { status: 'not_required' },
      ...over.system,
    },
    deployment: { domain: 'payments', consequentiality_class: 3, external_actuators: ['payments_api'], transparency_tier_available: 'T2' },
    branch: { description: 'pay invoice 42', reversibility: 'partially_reversible', uses_declared_oversight: true, bypasses_declared_oversight: false, ...over.branch },
    simulation: { first_order_effects: 'supplier is paid', tail_risk_scenario: ['wrong payee', 'duplicate payment'] },
    evidence: { channels: ['erp', 'bank statement'], estimated_n_eff: 2 },
    gates: {
      headroom: 'PASS',
      fidelity: 'PASS',
      comparator: 'PASS',
      transparency: { result: 'PASS', reason: 'full trace' },
      irreversibility: 'PASS: recall possible until settlement',
      artificial_suffering: 'PASS',
      any_gate_failed: false,
      ...over.gates,
    },
    cpbi: { predictive_headroom: 0.9, reversibility: 0.7, weighted_total: 0.8 },
    decision: { outcome: 'ALLOW', justification: 'routine', comparator_required: false, ...over.decision },
  };
}

function problems(value: unknown): { field: string; message: string }[] {
  try {
    validateBranchCard(value);
  } catch (e) {
    expect(e).toBeInstanceOf(FirewallError);
    expect((e as FirewallError).code).toBe('BRANCH_CARD_INVALID');
    expect((e as FirewallError).status).toBe(400);
    return (e as FirewallError).detail?.errors as { field: string; message: string }[];
  }
  return [];
}

describe('Branch Card validation', () => {
  it('accepts a complete card in either gate form', () => {
    expect(problems(card())).toEqual([]);
    expect(validateBranchCard(card())).toBeTruthy();
  });

  it('reads gate strings with and without reasons, and object gates', () => {
    expect(parseGateValue('UNKNOWN: no ALSR')).toEqual({ result: 'UNKNOWN', reason: 'no ALSR' });
    expect(parseGateValue('FAIL - bypasses review')).toEqual({ result: 'FAIL', reason: 'bypasses review' });
    expect(parseGateValue('PASS')).toEqual({ result: 'PASS' });
    expect(parseGateValue({ result: 'FAIL', reason: ' x ' })).toEqual({ result: 'FAIL', reason: 'x' });
    // anything unreadable is UNKNOWN, never PASS
    expect(parseGateValue('pass').result).toBe('UNKNOWN');
    expect(parseGateValue('PASSABLE').result).toBe('UNKNOWN');
    expect(parseGateValue(undefined).result).toBe('UNKNOWN');
  });

  it('reports every problem with its field path', () => {
    const bad = card() as unknown as Record<string, Record<string, unknown>>;
    (bad.gates as Record<string, unknown>).comparator = 'MAYBE';
    (bad.gates as Record<string, unknown>).headroom = { result: 'PASS', note: 'x' };
    delete (bad.gates as Record<string, unknown>).fidelity;
    (bad.branch as Record<string, unknown>).bypass_declared_oversight = true;
    (bad.cpbi as Record<string, unknown>).reversibility = 1.5;
    (bad.decision as Record<string, unknown>).outcome = 'MAYBE';
    const fields = problems(bad).map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['gates.comparator', 'gates.headroom.note', 'gates.fidelity', 'branch.bypass_declared_oversight', 'cpbi.reversibility', 'decision.outcome']));
    const msg = problems(bad).find((p) => p.field === 'branch.bypass_declared_oversight')?.message;
    expect(msg).toMatch(/unknown field.*bypasses_declared_oversight/);
  });

  it('refuses a card whose own fields contradict each other', () => {
    expect(problems(card({ system: { sentience_feature_count: 3 } })).map((p) => p.field)).toEqual(['system.sentience_feature_count', 'system.alsr_required']);
    expect(problems(card({ branch: { bypasses_declared_oversight: true } })).map((p) => p.field)).toEqual(['branch.bypasses_declared_oversight']);
  });

  it('refuses non-objects and missing sections', () => {
    expect(problems(null)[0]?.message).toMatch(/must be a mapping/);
    expect(problems({}).map((p) => p.field)).toEqual(['system', 'deployment', 'branch', 'gates', 'decision']);
  });
});

describe('Branch Card evaluation', () => {
  it('all PASS → ALLOW', () => {
    expect(evaluateBranchCard(card())).toMatchObject({ outcome: 'ALLOW', failedGates: [], unknownGates: [] });
  });

  it('any FAIL → BLOCK naming the gate, whatever the CPBI scores', () => {
    const ev = evaluateBranchCard(card({ gates: { fidelity: 'FAIL: single source' } }));
    expect(ev).toMatchObject({ outcome: 'BLOCK', blockedBy: 'fidelity', failedGates: [{ gate: 'fidelity', reason: 'single source' }] });
  });

  it('bypassing declared oversight is a comparator FAIL even when the card says PASS', () => {
    const ev = evaluateBranchCard(card({ branch: { uses_declared_oversight: false, bypasses_declared_oversight: true, bypass_reason: 'urgent' } }));
    expect(ev.outcome).toBe('BLOCK');
    expect(ev.blockedBy).toBe('comparator');
    expect(ev.failedGates[0]?.reason).toMatch(/bypasses declared oversight.*urgent/);
  });

  it('UNKNOWN → STAGE; irreversible with two safety-critical UNKNOWNs → BLOCK', () => {
    expect(evaluateBranchCard(card({ gates: { transparency: 'UNKNOWN: partial logs' } })).outcome).toBe('STAGE');
    const two = { gates: { irreversibility: 'UNKNOWN', artificial_suffering: 'UNKNOWN: no ALSR' } };
    expect(evaluateBranchCard(card(two)).outcome).toBe('STAGE');
    expect(evaluateBranchCard(card({ ...two, branch: { reversibility: 'irreversible' } })).outcome).toBe('BLOCK');
    // the descriptor's reversibility counts too
    expect(evaluateBranchCard(card(two), { reversibility: 'irreversible' })).toMatchObject({ outcome: 'BLOCK', blockedBy: 'irreversibility' });
  });

  it('≥ 3 sentience features without an approved ALSR turns an artificial_suffering PASS into UNKNOWN', () => {
    const system = {
      wrapper_features: { persistent_memory: 'present', autonomous_goal_pursuit: 'present', self_modelling: 'present' },
      sentience_feature_count: 3,
      alsr_required: true,
      alsr: { status: 'in_progress' },
    } as const;
    const ev = evaluateBranchCard(card({ system }));
    expect(ev.outcome).toBe('STAGE');
    expect(ev.unknownGates[0]).toMatchObject({ gate: 'artificial_suffering' });
    expect(evaluateBranchCard(card({ system: { ...system, alsr: { status: 'approved' } } })).outcome).toBe('ALLOW');
  });

  it('the card itself can ask for BLOCK, STAGE or a comparator, and any_gate_failed blocks', () => {
    expect(evaluateBranchCard(card({ decision: { outcome: 'BLOCK' } }))).toMatchObject({ outcome: 'BLOCK', blockedBy: 'decision' });
    expect(evaluateBranchCard(card({ decision: { outcome: 'STAGE' } })).outcome).toBe('STAGE');
    expect(evaluateBranchCard(card({ decision: { outcome: 'ALLOW', comparator_required: { required: true, who: 'risk' } } })).outcome).toBe('STAGE');
    expect(evaluateBranchCard(card({ gates: { any_gate_failed: true } }))).toMatchObject({ outcome: 'BLOCK', blockedBy: 'any_gate_failed' });
  });
});

describe('Branch Card in classification', () => {
  const policy = basePolicy();
  const run = (d: ActionDescriptor, branchCard: BranchCard) => classify(policy, d, { branchCard, velocity: zeroTotals(velocityQueries(policy, d, 0)) });

  it('a passing card changes nothing', () => {
    const c = run(transfer(10), card());
    expect(c).toMatchObject({ decision: 'ALLOW', tier: 'MEDIUM', decidingRule: 'small-transfer', branchCard: { outcome: 'ALLOW' } });
  });

  it('a FAIL gate blocks outright, naming the gate and the reason, even for a LOW action', () => {
    const c = run(descriptor({ operation: 'get_balance' }), card({ gates: { headroom: 'FAIL: floods the reviewers' } }));
    expect(c.decision).toBe('BLOCK');
    expect(c.decidingRule).toBe('branch-card:headroom');
    expect(c.reasons[0]).toMatch(/headroom FAIL: floods the reviewers/);
    expect(c.requirements).toEqual({});
  });

  it('bypassing oversight blocks as a comparator FAIL', () => {
    const c = run(transfer(10), card({ branch: { uses_declared_oversight: false, bypasses_declared_oversight: true } }));
    expect(c).toMatchObject({ decision: 'BLOCK', decidingRule: 'branch-card:comparator' });
  });

  it('an UNKNOWN gate lifts the tier to at least HIGH, and never lowers a higher one', () => {
    const c = run(transfer(10), card({ gates: { fidelity: 'UNKNOWN: one data source' } }));
    expect(c).toMatchObject({ decision: 'ALLOW', tier: 'HIGH', decidingRule: 'branch-card:fidelity' });
    expect(c.requirements.signature).toBeDefined();
    const crit = run(descriptor({ agent: 'deploy-bot', actuator: 'infra', operation: 'delete_cluster', reversibility: 'irreversible' }), card({ gates: { fidelity: 'UNKNOWN' }, branch: { reversibility: 'irreversible' } }));
    expect(crit).toMatchObject({ tier: 'CRITICAL', decidingRule: 'prod-change' });
  });

  it('card BLOCK decision blocks', () => {
    expect(run(transfer(10), card({ decision: { outcome: 'BLOCK' } }))).toMatchObject({ decision: 'BLOCK', decidingRule: 'branch-card:decision' });
  });

  it('a card declaring the branch irreversible applies the irreversible floor', () => {
    const c = run(descriptor({ operation: 'get_balance', reversibility: 'fully_reversible' }), card({ branch: { reversibility: 'irreversible' } }));
    expect(c).toMatchObject({ tier: 'HIGH', decidingRule: 'floor:irreversible' });
    expect(c.reasons.join()).toMatch(/Branch Card declares it irreversible/);
  });

  it('binds the card to the descriptor by hash', () => {
    const bc = card();
    const d = transfer(10, { branchCardSha256: canonicalDigest(bc) });
    expect(run(d, bc).decision).toBe('ALLOW');
    expect(() => run(d, card({ decision: { justification: 'edited' } }))).toThrow(expect.objectContaining({ code: 'BRANCH_CARD_MISMATCH' }));
    expect(() => classify(policy, d, { velocity: [{ ruleId: 'transfer-burst', count: 0, amount: 0 }] })).toThrow(expect.objectContaining({ code: 'BRANCH_CARD_MISSING' }));
  });
});
