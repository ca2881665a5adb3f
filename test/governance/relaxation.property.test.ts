import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REVERSIBILITY, type ActionDescriptor, type Reversibility } from '../../src/core/action/descriptor.ts';
import type { BranchCard } from '../../src/core/branch-card/branch-card.ts';
import { classify } from '../../src/core/policy/classify.ts';
import { MODALITIES, type Modality } from '../../src/core/policy/modality.ts';
import { buildPolicy } from '../../src/core/policy/parse.ts';
import type { Classification, PolicyDocument, PolicyRule, QuorumRequirement, QuorumSpec, VelocityQuery, VelocityRule, VelocityTotal } from '../../src/core/policy/types.ts';
import { velocityQueries } from '../../src/core/policy/velocity.ts';
import { VELOCITY_SCOPES } from '../../src/core/policy/types.ts';
import { isRelaxation } from '../../src/core/policy-governance/index.ts';
import { assignToGroups } from '../../src/core/quorum/assignment.ts';
import { TIERS, tierRank, type Tier } from '../../src/core/tier.ts';

/**
 * Soundness of isRelaxation, checked against the real classifier: random policies, random edits,
 * random actions with random histories and Branch Cards. Whenever the edited policy treats SOME
 * action less strictly than the original (lower tier, a BLOCK lifted, or at the same tier any
 * requirement in the weaker direction), isRelaxation must say "relaxation". The oracle below is
 * written independently of the analysis: it only compares two Classification objects.
 */

const PEOPLE = ['p1', 'p2', 'p3', 'p4', 'p5'];
const GROUPS = ['g1', 'g2', 'g3'];
const ACTUATOR_OPS: Record<string, string[]> = { pay: ['read', 'send'], ops: ['drop', 'scale'] };
const AGENTS = ['a1', 'a2', 'a3'];
const PATTERNS = ['/x', '/x/:id', '/y/**', '/x/*'];
const BOUNDS = [0, 10, 100, 1000];
const NOW = 10_000_000;

// --- generators ----------------------------------------------------------------------------------

const subsetOf = <T,>(xs: readonly T[], min = 0) => fc.subarray([...xs], { minLength: min });
const sortedSubset = <T extends string>(xs: readonly T[], min = 1) => subsetOf(xs, min).map((s) => [...s].sort() as T[]);
const tierArb = fc.constantFrom(...TIERS);
const modalitiesArb = fc.subarray([...MODALITIES], { minLength: 1 }).map((m) => MODALITIES.filter((x) => m.includes(x)) as Modality[]);

const quorumArb: fc.Arbitrary<QuorumSpec> = fc
  .record({
    clauses: fc.uniqueArray(fc.record({ group: fc.constantFrom(...GROUPS), min: fc.integer({ min: 1, max: 2 }) }), { minLength: 1, maxLength: 2, selector: (c) => c.group }),
    distinctOrganisations: fc.boolean(),
    windowMs: fc.constantFrom(60_000, 120_000),
    comparator: fc.record({ group: fc.constantFrom(...GROUPS), min: fc.integer({ min: 1, max: 2 }), biological: fc.boolean() }),
    allowWitness: fc.boolean(),
  })
  .map(({ clauses, allowWitness, ...q }) => ({ ...q, allOf: [...clauses].sort((a, b) => (a.group < b.group ? -1 : 1)), ...(allowWitness ? { allowWitness: true as const } : {}) }));

const amountArb = fc
  .record({ currency: fc.constantFrom('EUR', 'USD'), lo: fc.option(fc.record({ open: fc.boolean(), v: fc.constantFrom(...BOUNDS) }), { nil: undefined }), hi: fc.option(fc.record({ open: fc.boolean(), v: fc.constantFrom(...BOUNDS) }), { nil: undefined }) })
  .filter((a) => a.lo !== undefined || a.hi !== undefined)
  .map((a) => ({
    currency: a.currency,
    ...(a.lo === undefined ? {} : a.lo.open ? { gt: a.lo.v } : { gte: a.lo.v }),
    ...(a.hi === undefined ? {} : a.hi.open ? { lt: a.hi.v } : { lte: a.hi.v }),
  }));

const matchArb = fc
  .record({
    actuator: fc.option(fc.constantFrom('pay', 'ops'), { nil: undefined }),
    operations: fc.option(sortedSubset(['drop', 'read', 'scale', 'send']), { nil: undefined }),
    agents: fc.option(sortedSubset(AGENTS), { nil: undefined }),
    reversibility: fc.option(subsetOf(REVERSIBILITY, 1).map((r) => REVERSIBILITY.filter((x) => r.includes(x)) as Reversibility[]), { nil: undefined }),
    amount: fc.option(amountArb, { nil: undefined }),
    path: fc.option(fc.constantFrom(...PATTERNS), { nil: undefined }),
  })
  .map((m) => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as PolicyRule['match']);

const signaturePartArb = fc
  .record({
    windowMs: fc.option(fc.constantFrom(60_000, 180_000), { nil: undefined }),
    sustainedMs: fc.option(fc.constantFrom(1000, 3000), { nil: undefined }),
    modalities: fc.option(modalitiesArb, { nil: undefined }),
    maxAttempts: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
  })
  .map((s) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)));

function fixRule(r: PolicyRule): PolicyRule {
  if (r.tier !== 'MEDIUM') delete r.coolingMs;
  if (r.tier !== 'HIGH' && r.tier !== 'CRITICAL') delete r.signature;
  if (r.tier !== 'CRITICAL') delete r.quorum;
  return r;
}

const ruleArb = (id: string): fc.Arbitrary<PolicyRule> =>
  fc
    .record({
      match: matchArb,
      tier: tierArb,
      coolingMs: fc.option(fc.constantFrom(2000, 20_000), { nil: undefined }),
      signature: fc.option(signaturePartArb, { nil: undefined }),
      quorum: fc.option(quorumArb, { nil: undefined }),
    })
    .map(({ match, tier, coolingMs, signature, quorum }) =>
      fixRule({ id, match, tier, ...(coolingMs === undefined ? {} : { coolingMs }), ...(signature === undefined ? {} : { signature }), ...(quorum === undefined ? {} : { quorum }) }),
    );

const velocityArb = (id: string): fc.Arbitrary<VelocityRule> =>
  fc
    .record({
      actuator: fc.constantFrom('pay', 'ops'),
      pick: fc.subarray([0, 1], { minLength: 1 }),
      agents: fc.option(sortedSubset(AGENTS), { nil: undefined }),
      per: fc.constantFrom(...VELOCITY_SCOPES),
      windowMs: fc.constantFrom(1000, 60_000, 3_600_000),
      maxCount: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
      maxEur: fc.option(fc.constantFrom(50, 500, 1500), { nil: undefined }),
      escalateTo: fc.constantFrom('MEDIUM' as const, 'HIGH' as const, 'CRITICAL' as const),
    })
    .map((v) => {
      const rule: VelocityRule = {
        id,
        match: { actuator: v.actuator, operations: v.pick.map((i) => ACTUATOR_OPS[v.actuator]![i]!).sort(), ...(v.agents === undefined ? {} : { agents: v.agents }) },
        per: v.per,
        windowMs: v.windowMs,
        escalateTo: v.escalateTo,
      };
      if (v.maxCount !== undefined) rule.maxCount = v.maxCount;
      if (v.maxEur !== undefined) rule.maxAmount = { EUR: v.maxEur };
      return rule;
    });

const docArb: fc.Arbitrary<PolicyDocument> = fc
  .record({
    unmatchedTier: fc.constantFrom('MEDIUM' as const, 'HIGH' as const, 'CRITICAL' as const),
    coolingMs: fc.constantFrom(1000, 10_000),
    signature: fc.record({ windowMs: fc.constantFrom(60_000, 120_000), sustainedMs: fc.constantFrom(1000, 2000), modalities: modalitiesArb, maxAttempts: fc.integer({ min: 1, max: 5 }) }),
    quorum: quorumArb,
    groups: fc.tuple(sortedSubset(PEOPLE), sortedSubset(PEOPLE), sortedSubset(PEOPLE)),
    orgOf: fc.array(fc.constantFrom('o1', 'o2', undefined), { minLength: 5, maxLength: 5 }),
    rules: fc.integer({ min: 0, max: 5 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => ruleArb(`r${i}`)))),
    velocity: fc.integer({ min: 0, max: 2 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => velocityArb(`v${i}`)))),
  })
  .map((d) => ({
    version: 1 as const,
    name: 'generated',
    defaults: { unmatchedTier: d.unmatchedTier, coolingMs: d.coolingMs, signature: d.signature, quorum: d.quorum },
    groups: { g1: d.groups[0], g2: d.groups[1], g3: d.groups[2] },
    organisations: orgs(d.orgOf),
    notify: { vetoers: [], webhooks: [] },
    actuators: {
      ops: { upstream: 'http://127.0.0.1:9091', operations: ACTUATOR_OPS['ops']!, proxy: [] },
      pay: { upstream: 'http://127.0.0.1:9090', operations: ACTUATOR_OPS['pay']!, proxy: [] },
    },
    rules: [...d.rules],
    velocity: [...d.velocity],
  }));

function orgs(orgOf: readonly (string | undefined)[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  orgOf.forEach((o, i) => {
    if (o !== undefined) (out[o] ??= []).push(PEOPLE[i]!);
  });
  return out;
}

/** One random edit of a document (mutates the clone it is given). */
type Edit = (d: PolicyDocument) => void;
const at = <T,>(xs: T[], i: number): T | undefined => (xs.length === 0 ? undefined : xs[i % xs.length]);

const velocityTweakArb: fc.Arbitrary<{ label: string; apply: Edit }> = fc.record({ i: fc.nat(), field: fc.constantFrom('window', 'count', 'amount', 'per', 'escalate'), up: fc.boolean() }).map(({ i, field, up }) => ({
    label: `velocity ${field} ${up ? 'up' : 'down'}`,
    apply: (d: PolicyDocument) => {
      const v = at(d.velocity, i);
      if (!v) return;
      if (field === 'window') v.windowMs = up ? v.windowMs * 10 : Math.max(100, Math.floor(v.windowMs / 10));
      if (field === 'count') { if (v.maxCount === undefined) v.maxCount = 2; else v.maxCount = Math.max(1, v.maxCount + (up ? 1 : -1)); }
      if (field === 'amount') v.maxAmount = { EUR: (v.maxAmount?.['EUR'] ?? 500) * (up ? 2 : 0.5) };
      if (field === 'per') v.per = up ? 'agent_target' : 'agent';
      if (field === 'escalate') v.escalateTo = TIERS[Math.max(1, Math.min(3, tierRank(v.escalateTo) + (up ? 1 : -1)))] as VelocityRule['escalateTo'];
    },
  }));

const editArb: fc.Arbitrary<{ label: string; apply: Edit }> = fc.oneof(
  fc.record({ i: fc.nat(), t: tierArb }).map(({ i, t }) => ({ label: `rule tier → ${t}`, apply: (d: PolicyDocument) => { const r = at(d.rules, i); if (r) fixRule(Object.assign(r, { tier: t })); } })),
  fc.record({ i: fc.nat(), ms: fc.constantFrom(500, 2000, 50_000) }).map(({ i, ms }) => ({ label: `rule cooling ${ms}`, apply: (d: PolicyDocument) => { const r = at(d.rules, i); if (r && r.tier === 'MEDIUM') r.coolingMs = ms; } })),
  fc.record({ i: fc.nat(), s: signaturePartArb }).map(({ i, s }) => ({ label: 'rule signature', apply: (d: PolicyDocument) => { const r = at(d.rules, i); if (r && (r.tier === 'HIGH' || r.tier === 'CRITICAL')) r.signature = s; } })),
  fc.record({ i: fc.nat(), q: fc.option(quorumArb, { nil: undefined }) }).map(({ i, q }) => ({ label: 'rule quorum', apply: (d: PolicyDocument) => { const r = at(d.rules, i); if (r && r.tier === 'CRITICAL') { if (q) r.quorum = q; else delete r.quorum; } } })),
  fc.record({ i: fc.nat(), m: matchArb }).map(({ i, m }) => ({ label: 'rule match', apply: (d: PolicyDocument) => { const r = at(d.rules, i); if (r) r.match = m; } })),
  fc.record({ i: fc.nat(), a: amountArb }).map(({ i, a }) => ({ label: 'rule amount', apply: (d: PolicyDocument) => { const r = at(d.rules, i); if (r) r.match.amount = a; } })),
  fc.record({ i: fc.nat(), ag: fc.option(sortedSubset(AGENTS), { nil: undefined }) }).map(({ i, ag }) => ({ label: 'rule agents', apply: (d: PolicyDocument) => { const r = at(d.rules, i); if (r) { if (ag) r.match.agents = ag; else delete r.match.agents; } } })),
  fc.nat().map((i) => ({ label: 'remove rule', apply: (d: PolicyDocument) => { if (d.rules.length > 0) d.rules.splice(i % d.rules.length, 1); } })),
  ruleArb('added').map((r) => ({ label: `add ${r.tier} rule`, apply: (d: PolicyDocument) => { d.rules.push(structuredClone(r)); } })),
  fc.nat().map((i) => ({ label: 'swap rules', apply: (d: PolicyDocument) => { if (d.rules.length > 1) { const k = i % (d.rules.length - 1); [d.rules[k], d.rules[k + 1]] = [d.rules[k + 1]!, d.rules[k]!]; } } })),
  fc.constantFrom('MEDIUM' as const, 'HIGH' as const, 'CRITICAL' as const).map((t) => ({ label: `unmatched → ${t}`, apply: (d: PolicyDocument) => { d.defaults.unmatchedTier = t; } })),
  fc.constantFrom(500, 5000, 60_000).map((ms) => ({ label: `default cooling ${ms}`, apply: (d: PolicyDocument) => { d.defaults.coolingMs = ms; } })),
  fc.record({ windowMs: fc.constantFrom(30_000, 60_000, 240_000), sustainedMs: fc.constantFrom(500, 1000, 4000), modalities: modalitiesArb, maxAttempts: fc.integer({ min: 1, max: 6 }) }).map((s) => ({ label: 'default signature', apply: (d: PolicyDocument) => { d.defaults.signature = s; } })),
  quorumArb.map((q) => ({ label: 'default quorum', apply: (d: PolicyDocument) => { d.defaults.quorum = q; } })),
  { weight: 5, arbitrary: fc.record({ i: fc.nat(), field: fc.constantFrom('distinct', 'biological', 'witness', 'clauseMin', 'comparatorMin', 'window'), up: fc.boolean() }).map(({ i, field, up }) => ({
    label: `quorum ${field} ${up ? 'up' : 'down'}`,
    apply: (d: PolicyDocument) => {
      const quorums = [d.defaults.quorum!, ...d.rules.flatMap((r) => (r.quorum ? [r.quorum] : []))];
      const q = quorums[i % quorums.length]!;
      const step = up ? 1 : -1;
      if (field === 'distinct') q.distinctOrganisations = up;
      if (field === 'biological') q.comparator.biological = up;
      if (field === 'witness') { if (up) q.allowWitness = true; else delete q.allowWitness; }
      if (field === 'clauseMin') { const c = q.allOf[i % q.allOf.length]!; c.min = Math.max(1, c.min + step); }
      if (field === 'comparatorMin') q.comparator.min = Math.max(1, q.comparator.min + step);
      if (field === 'window') q.windowMs = up ? q.windowMs * 2 : Math.max(1000, q.windowMs / 2);
    },
  })) },
  fc.record({ g: fc.constantFrom(...GROUPS), m: sortedSubset(PEOPLE) }).map(({ g, m }) => ({ label: `group ${g} members`, apply: (d: PolicyDocument) => { d.groups[g] = m; } })),
  fc.record({ p: fc.nat(4), o: fc.constantFrom('o1', 'o2', 'o3', undefined) }).map(({ p, o }) => ({
    label: 'organisation',
    apply: (d: PolicyDocument) => {
      const who = PEOPLE[p]!;
      for (const k of Object.keys(d.organisations)) d.organisations[k] = d.organisations[k]!.filter((x) => x !== who);
      if (o !== undefined) d.organisations[o] = [...(d.organisations[o] ?? []), who].sort();
    },
  })),
  fc.record({ i: fc.nat(), v: velocityArb('vx') }).map(({ i, v }) => ({ label: 'velocity changed', apply: (d: PolicyDocument) => { const k = i % Math.max(d.velocity.length, 1); if (d.velocity.length > 0) d.velocity[k] = { ...v, id: d.velocity[k]!.id }; } })),
  { weight: 5, arbitrary: velocityTweakArb },
  fc.nat().map((i) => ({ label: 'remove velocity', apply: (d: PolicyDocument) => { if (d.velocity.length > 0) d.velocity.splice(i % d.velocity.length, 1); } })),
  velocityArb('vnew').map((v) => ({ label: 'add velocity', apply: (d: PolicyDocument) => { d.velocity.push(structuredClone(v)); } })),
);

// --- actions and histories ----------------------------------------------------------------------

interface Prior {
  agent: string;
  actuator: string;
  operation: string;
  target: string;
  amount?: number;
  currency?: string;
  ageMs: number;
}

const moneyArb = fc.option(fc.record({ amount: fc.constantFrom(0, 5, 10, 50, 100, 500, 1000, 2000), currency: fc.constantFrom('EUR', 'EUR', 'USD') }), { nil: undefined });
/** Mostly actions the policies name (so rules and velocity limits apply), sometimes anything. */
const actuatorOpArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('pay', 'ops').chain((a) => fc.constantFrom(...ACTUATOR_OPS[a]!).map((o) => ({ actuator: a, operation: o }))) },
  { weight: 2, arbitrary: fc.record({ actuator: fc.constantFrom('pay', 'ops', 'other'), operation: fc.constantFrom('read', 'send', 'drop', 'scale', 'misc') }) },
);
const actionArb = fc
  .record({
  agent: fc.constantFrom(...AGENTS, 'zz'),
  what: actuatorOpArb,
  target: fc.constantFrom('t1', 't2'),
  reversibility: fc.constantFrom(...REVERSIBILITY),
  money: moneyArb,
  path: fc.constantFrom('/x', '/x/1', '/y/a/b', '/z', '/x/../y/q'),
  card: fc.option(fc.constantFrom(...REVERSIBILITY), { nil: undefined }),
  // Earlier actions: mostly by the same agent on the same operation (what velocity limits count).
  history: fc.array(
    fc.record({
      same: fc.boolean(),
      agent: fc.constantFrom(...AGENTS),
      what: actuatorOpArb,
      target: fc.constantFrom('t1', 't2'),
      money: moneyArb,
      ageMs: fc.constantFrom(10, 700, 5000, 30_000, 100_000, 1_000_000, 5_000_000),
    }),
    { maxLength: 6 },
  ),
  })
  .map(({ what, history, ...a }) => ({
    ...a,
    ...what,
    history: history.map(({ same, what: w, ...h }) => ({ ...h, ...(same ? { agent: a.agent, actuator: what.actuator, operation: what.operation } : w) })),
  }));
type Action = typeof actionArb extends fc.Arbitrary<infer T> ? T : never;

function stageCard(reversibility: Reversibility): BranchCard {
  return {
    system: { name: 'agent', wrapper_features: { persistent_memory: 'absent', autonomous_goal_pursuit: 'absent', self_modelling: 'absent', embodiment: 'absent', bandwidth_constraint: 'absent' }, sentience_feature_count: 0, alsr_required: false },
    deployment: { consequentiality_class: 3 },
    branch: { description: 'x', reversibility, bypasses_declared_oversight: false },
    gates: { headroom: 'PASS', fidelity: 'PASS', comparator: 'PASS', transparency: 'UNKNOWN: partial logs', irreversibility: 'PASS', artificial_suffering: 'PASS' },
    decision: { outcome: 'STAGE' },
  } as BranchCard;
}

/** The store's answer to a velocity query (adapters/store/sqlite-store.ts), over an in-memory history. */
function totals(queries: VelocityQuery[], history: Prior[]): VelocityTotal[] {
  return queries.map((q) => {
    const rows = history.filter(
      (h) =>
        // Without a registered owner or organisation an agent is its own (velocityPrincipalOf).
        (q.agent === undefined || h.agent === q.agent) &&
        (q.owner === undefined || h.agent === q.owner) &&
        (q.organisation === undefined || h.agent === q.organisation) &&
        h.actuator === q.actuator &&
        NOW - h.ageMs >= q.sinceMs &&
        (q.operations.length === 0 || q.operations.includes(h.operation)) &&
        (q.target === undefined || h.target === q.target),
    );
    // Every action counts; only those in the query's currency add to the amount.
    const priced = rows.filter((h) => q.currency === undefined || h.currency === q.currency);
    return { ruleId: q.ruleId, count: rows.length, amount: priced.reduce((s, h) => s + (h.amount ?? 0), 0) };
  });
}

function run(policy: ReturnType<typeof buildPolicy>, a: Action): Classification {
  const d: ActionDescriptor = {
    agent: a.agent,
    actuator: a.actuator,
    operation: a.operation,
    target: a.target,
    parameters: {},
    reversibility: a.reversibility,
    request: { method: 'POST', path: a.path, bodySha256: '' },
    ...(a.money ?? {}),
  };
  const history: Prior[] = a.history.map(({ money, ...h }) => ({ ...h, ...(money ?? {}) }));
  return classify(policy, d, { velocity: totals(velocityQueries(policy, d, NOW), history), ...(a.card === undefined ? {} : { branchCard: stageCard(a.card) }) });
}

// --- the oracle: is `n` weaker than `o` for this one action? ------------------------------------

const quorumCache = new Map<string, boolean>();

function satisfiable(q: QuorumRequirement, authorizers: string[], comparators: { who: string; bio: boolean }[]): boolean {
  const needA = q.allOf.reduce((s, c) => s + c.min, 0);
  const a = assignToGroups(
    authorizers.map((p) => ({ key: p, groups: q.allOf.filter((c) => c.members.includes(p)).map((c) => c.group), ...(q.organisationOf?.[p] === undefined ? {} : { organisation: q.organisationOf[p] }) })),
    new Map(q.allOf.map((c) => [c.group, c.min])),
    { distinctOrganisations: q.distinctOrganisations },
  );
  if (a.size < needA) return false;
  const needC = q.comparators.reduce((s, c) => s + c.min, 0);
  const c = assignToGroups(
    comparators.map((p) => ({ key: p.who, groups: q.comparators.filter((g) => g.members.includes(p.who) && (!g.biological || p.bio)).map((g) => g.group) })),
    new Map(q.comparators.map((g) => [g.group, g.min])),
  );
  return c.size >= needC;
}

/** Some approver configuration (who signs, who verifies, biologically or not) satisfies `n` but not `o`. */
function quorumWeaker(o: QuorumRequirement, n: QuorumRequirement): boolean {
  if (n.windowMs < o.windowMs || (n.allowWitness === true && o.allowWitness !== true)) return true;
  const key = JSON.stringify([o, n]);
  const hit = quorumCache.get(key);
  if (hit !== undefined) return hit;
  const people = [...new Set([...o.allOf, ...o.comparators, ...n.allOf, ...n.comparators].flatMap((c) => c.members))].sort();
  let found = false;
  const roles = 4 ** people.length;
  for (let code = 0; code < roles && !found; code++) {
    const A: string[] = [];
    const C: { who: string; bio: boolean }[] = [];
    people.forEach((p, i) => {
      const r = Math.floor(code / 4 ** i) % 4;
      if (r === 1) A.push(p);
      if (r === 2) C.push({ who: p, bio: false });
      if (r === 3) C.push({ who: p, bio: true });
    });
    if (satisfiable(n, A, C) && !satisfiable(o, A, C)) found = true;
  }
  quorumCache.set(key, found);
  return found;
}

function weaker(o: Classification, n: Classification): string | undefined {
  if (o.decision === 'BLOCK') return n.decision === 'ALLOW' ? 'a BLOCK became ALLOW' : undefined;
  if (n.decision === 'BLOCK') return undefined;
  if (tierRank(n.tier) < tierRank(o.tier)) return `tier ${o.tier} → ${n.tier}`;
  if (n.tier !== o.tier) return undefined;
  const a = o.requirements;
  const b = n.requirements;
  if (a.coolingMs !== undefined && (b.coolingMs ?? 0) < a.coolingMs) return 'shorter cooling';
  if (a.signature && b.signature) {
    if (b.signature.sustainedMs < a.signature.sustainedMs) return 'shorter sustained';
    if (b.signature.maxAttempts > a.signature.maxAttempts) return 'more attempts';
    if (b.signature.windowMs < a.signature.windowMs) return 'shorter signature window';
    if (b.signature.modalities.some((m) => !a.signature!.modalities.includes(m))) return 'more modalities';
  }
  if (a.quorum && b.quorum && quorumWeaker(a.quorum, b.quorum)) return 'weaker quorum';
  return undefined;
}

const build = (d: PolicyDocument) => buildPolicy(structuredClone(d), 'generated.yaml');

describe('isRelaxation (property-based)', () => {
  it('is sound: every edit that treats some action less strictly is classified as a relaxation', () => {
    let weakenings = 0;
    fc.assert(
      fc.property(docArb, fc.array(editArb, { minLength: 1, maxLength: 3 }), fc.array(actionArb, { minLength: 20, maxLength: 40 }), (doc, edits, actions) => {
        const next = structuredClone(doc);
        for (const e of edits) e.apply(next);
        const [po, pn] = [build(doc), build(next)];
        const analysis = isRelaxation(po, pn);
        for (const a of actions) {
          // The gateway refuses actions on an actuator the policy does not declare (ACTUATOR_UNKNOWN).
          if (!Object.hasOwn(pn.actuators, a.actuator)) continue;
          const why = weaker(run(po, a), run(pn, a));
          if (why === undefined) continue;
          weakenings++;
          if (!analysis.relaxation) {
            throw new Error(`missed relaxation (${why}) after edits [${edits.map((e) => e.label).join('; ')}] for ${JSON.stringify(a)}`);
          }
        }
      }),
      { numRuns: 700 },
    );
    // The generators must actually produce weakenings, or the property proves nothing (typically ~2,000).
    expect(weakenings).toBeGreaterThan(200);
  });

  it('is sound for velocity limits in particular: random velocity edits, actions on the limited operations', () => {
    let weakenings = 0;
    const withVelocity = fc.tuple(docArb, fc.array(velocityArb('vf'), { minLength: 1, maxLength: 2 })).map(([d, v]) => ({ ...d, velocity: [...d.velocity, ...v.map((x, i) => ({ ...x, id: `vf${i}` }))] }));
    const velocityEdit = fc.oneof(
      { weight: 6, arbitrary: velocityTweakArb },
      { weight: 1, arbitrary: fc.nat().map((i) => ({ label: 'remove velocity', apply: (d: PolicyDocument) => { d.velocity.splice(i % d.velocity.length, 1); } })) },
      { weight: 1, arbitrary: velocityArb('vnew').map((v) => ({ label: 'add velocity', apply: (d: PolicyDocument) => { d.velocity.push(structuredClone(v)); } })) },
    );
    fc.assert(
      fc.property(withVelocity, fc.array(velocityEdit, { minLength: 1, maxLength: 3 }), fc.array(actionArb, { minLength: 20, maxLength: 40 }), (doc, edits, actions) => {
        const next = structuredClone(doc);
        for (const e of edits) e.apply(next);
        const [po, pn] = [build(doc), build(next)];
        const analysis = isRelaxation(po, pn);
        for (const a of actions) {
          if (!Object.hasOwn(pn.actuators, a.actuator)) continue;
          const why = weaker(run(po, a), run(pn, a));
          if (why === undefined) continue;
          weakenings++;
          if (!analysis.relaxation) throw new Error(`missed relaxation (${why}) after edits [${edits.map((e) => e.label).join('; ')}] for ${JSON.stringify(a)}`);
        }
      }),
      { numRuns: 800 },
    );
    // Typically 80-110 weakening actions over 800 runs; the floor only guards against a degenerate generator.
    expect(weakenings).toBeGreaterThan(30);
  });

  it('never calls an unchanged, renamed or reordered policy a relaxation', () => {
    fc.assert(
      fc.property(docArb, (doc) => {
        expect(isRelaxation(build(doc), build(doc)).relaxation).toBe(false);
        const renamed = { ...structuredClone(doc), name: 'renamed' };
        expect(isRelaxation(build(doc), build(renamed)).findings).toEqual([]);
        const reordered = { ...structuredClone(doc), rules: [...structuredClone(doc.rules)].reverse() };
        expect(isRelaxation(build(doc), build(reordered)).relaxation).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('accepts clear tightenings as tightening', () => {
    const tighten: fc.Arbitrary<{ label: string; apply: Edit }> = fc.oneof(
      fc.record({ i: fc.nat(), up: fc.integer({ min: 1, max: 3 }) }).map(({ i, up }) => ({
        label: 'raise a rule tier',
        apply: (d: PolicyDocument) => {
          const r = at(d.rules, i);
          if (r) fixRule(Object.assign(r, { tier: TIERS[Math.min(3, tierRank(r.tier) + up)] as Tier }));
        },
      })),
      fc.constant({ label: 'longer default cooling', apply: (d: PolicyDocument) => { d.defaults.coolingMs *= 2; } }),
      fc.constant({ label: 'longer sustained', apply: (d: PolicyDocument) => { d.defaults.signature.sustainedMs *= 2; } }),
      fc.constant({ label: 'fewer attempts', apply: (d: PolicyDocument) => { d.defaults.signature.maxAttempts = 1; } }),
      fc.constant({ label: 'unmatched CRITICAL', apply: (d: PolicyDocument) => { d.defaults.unmatchedTier = 'CRITICAL'; } }),
      fc.constant({ label: 'higher default quorum min', apply: (d: PolicyDocument) => { for (const c of d.defaults.quorum!.allOf) c.min += 1; } }),
      fc.constant({ label: 'longer quorum window', apply: (d: PolicyDocument) => { d.defaults.quorum!.windowMs *= 2; } }),
      velocityArb('tight').map((v) => ({ label: 'add velocity', apply: (d: PolicyDocument) => { d.velocity.push(structuredClone(v)); } })),
      fc.constant({ label: 'lower velocity limits', apply: (d: PolicyDocument) => { for (const v of d.velocity) { if (v.maxCount !== undefined && v.maxCount > 1) v.maxCount -= 1; v.windowMs *= 2; } } }),
      fc.constantFrom(...PEOPLE).map((p) => ({
        label: 'remove a group member',
        apply: (d: PolicyDocument) => {
          for (const g of GROUPS) if (d.groups[g]!.length > 1) d.groups[g] = d.groups[g]!.filter((x) => x !== p);
        },
      })),
    );
    // Without rule-level modality lists two rules can never conflict (a BLOCK the edit would lift).
    const plain = docArb.map((d) => ({ ...d, rules: d.rules.map((r) => (r.signature?.modalities ? { ...r, signature: { ...r.signature, modalities: undefined } } : r)).map((r) => JSON.parse(JSON.stringify(r)) as PolicyRule) }));
    fc.assert(
      fc.property(plain, fc.array(tighten, { minLength: 1, maxLength: 3 }), (doc, edits) => {
        const next = structuredClone(doc);
        for (const e of edits) e.apply(next);
        const r = isRelaxation(build(doc), build(next));
        if (r.relaxation) throw new Error(`tightening [${edits.map((e) => e.label).join('; ')}] reported as relaxation: ${r.findings.map((f) => f.message).join(' | ')}`);
      }),
      { numRuns: 300 },
    );
  });
});
