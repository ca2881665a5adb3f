import type { PolicyDocument, VelocityRule } from '../policy/types.ts';
import { maxTier, tierRank, type Tier } from '../tier.ts';
import { cellFamilies, cellsOf, describeCell, familySize, type Cell } from './action-space.ts';
import { baseOutcome, outcomeAt, velocityApplies, type Outcome } from './cell-outcome.ts';
import { weakenedRequirements } from './requirement-order.ts';
import { structuralFindings } from './structural.ts';
import type { FindingCode, RelaxationAnalysis, RelaxationFinding } from './types.ts';
import { dominates } from './velocity-dominance.ts';

export interface RelaxationOptions {
  /** Above this many cells the analysis gives up and reports a relaxation (fail closed). */
  maxCells?: number;
  maxFindings?: number;
}

/** About 15 µs a cell on a loaded machine (35,000 cells for the 1,000-rule benchmark policy): at most ~2 s of CPU. */
const DEFAULT_MAX_CELLS = 100_000;

const weakenings = new WeakMap<Outcome, WeakMap<Outcome, string[]>>();
/** weakenedRequirements, memoised by outcome identity (outcomes are shared, see cell-outcome.ts). */
function weakened(o: Outcome, n: Outcome): string[] {
  let inner = weakenings.get(o);
  if (inner === undefined) weakenings.set(o, (inner = new WeakMap()));
  let out = inner.get(n);
  if (out === undefined) inner.set(n, (out = weakenedRequirements(o.requirements, n.requirements)));
  return out;
}
const MAX_PATTERNS_PER_FAMILY = 12;

/**
 * Would `next` treat ANY action less strictly than `old`? Decided by meaning, not text: both
 * policies are evaluated on every cell of the action space (action-space.ts) and their outcomes
 * compared. Outcomes are ordered by tier first (a higher tier always involves more people); at the
 * same tier every requirement field must be at least as strict (requirement-order.ts); a BLOCK is
 * the strictest outcome of all.
 *
 * Actions on an actuator the new policy does not declare are refused outright by the gateway
 * (ACTUATOR_UNKNOWN): nothing can be weaker than that, so those cells are not compared.
 *
 * History and Branch Cards are covered per cell:
 *  - Branch Card: a card either blocks under both policies alike or lifts the tier to at least
 *    HIGH under both; both cases are compared.
 *  - Velocity: for every tier x an old velocity rule could escalate the cell to, if every such rule
 *    is dominated by a new one applying to the cell (velocity-dominance.ts), the new policy is
 *    known to escalate to at least x whenever the old does; otherwise nothing is assumed about the
 *    new escalation. Conversely, a new escalation dominated by an old one implies the old one.
 *    Every other combination of old and new escalations is tried.
 * Everything uncertain is resolved towards "relaxation": a false alarm costs a quorum, a missed
 * relaxation would let the gateway weaken itself without one (seed §III.1, self-permissioning guard).
 */
export function isRelaxation(old: PolicyDocument, next: PolicyDocument, options: RelaxationOptions = {}): RelaxationAnalysis {
  const maxFindings = options.maxFindings ?? 50;
  const findings = new Map<string, RelaxationFinding>();
  let total = 0;
  const add: Add = (code, key, message) => {
    const k = `${code}\u0000${key}`;
    if (findings.has(k)) return;
    total++;
    findings.set(k, { code, message: typeof message === 'string' ? message : message() });
  };
  for (const f of structuralFindings(old, next)) add(f.code, f.message, f.message);

  const families = cellFamilies(old, next);
  const size = families.reduce((n, f) => n + (f.patterns.length > MAX_PATTERNS_PER_FAMILY ? Infinity : familySize(f)), 0);
  if (size > (options.maxCells ?? DEFAULT_MAX_CELLS)) {
    add('ANALYSIS_INCOMPLETE', '', `the two policies cut the action space into more than ${options.maxCells ?? DEFAULT_MAX_CELLS} cells (or a rule family has more than ${MAX_PATTERNS_PER_FAMILY} path patterns); not compared, treated as a relaxation`);
    return finish(findings, total, maxFindings, 0);
  }

  let cells = 0;
  for (const f of families) {
    // An actuator the new policy does not declare has no upstream: the gateway refuses its actions
    // outright (ACTUATOR_UNKNOWN), the strictest outcome there is. (One it newly declares is ACTUATOR_ADDED.)
    if (!Object.hasOwn(next.actuators, f.actuator)) continue;
    for (const c of cellsOf(f)) {
      cells++;
      compareCell(old, next, f.rules, f.velocity, c, add);
    }
  }
  return finish(findings, total, maxFindings, cells);
}

function finish(findings: Map<string, RelaxationFinding>, total: number, maxFindings: number, cellsExamined: number): RelaxationAnalysis {
  const list = [...findings.values()];
  return { relaxation: list.length > 0, findings: list.slice(0, maxFindings), omittedFindings: Math.max(0, total - maxFindings), cellsExamined };
}

type Add = (code: FindingCode, key: string, message: string | (() => string)) => void;

function compareCell(
  old: PolicyDocument,
  next: PolicyDocument,
  rules: [PolicyDocument['rules'], PolicyDocument['rules']],
  velocity: [VelocityRule[], VelocityRule[]],
  c: Cell,
  add: Add,
): void {
  const bo = baseOutcome(old, rules[0], c);
  const bn = baseOutcome(next, rules[1], c);
  const vo = velocity[0].filter((v) => velocityApplies(v, c) && canFire(v, c));
  const vn = velocity[1].filter((v) => velocityApplies(v, c) && canFire(v, c));
  const newLevels: (Tier | undefined)[] = [undefined, ...new Set(vn.map((v) => v.escalateTo))];
  // A new escalation to y implies an old one to at least y when every new rule escalating to y is
  // dominated by an old rule: such pairs (old below y, new at y) cannot happen and are skipped.
  const impliesOld = (y: Tier): boolean => vn.filter((n) => n.escalateTo === y).every((n) => vo.some((o) => dominates(o, n)));

  // Scenarios: the old escalation level, and the least the new policy is then known to reach.
  const scenarios: { old: Tier | undefined; floor: Tier | undefined; label: string }[] = [{ old: undefined, floor: undefined, label: '' }];
  for (const x of new Set(vo.map((v) => v.escalateTo))) {
    const firing = vo.filter((v) => v.escalateTo === x);
    const covered = firing.every((o) => vn.some((n) => dominates(n, o)));
    const names = firing.map((v) => v.id).join(', ');
    scenarios.push({ old: x, floor: covered ? x : undefined, label: ` when velocity ${names} escalates to ${x}${covered ? '' : ' (no equally strict velocity rule in the new policy)'}` });
  }

  for (const card of [undefined, 'HIGH'] as const) {
    const cardLabel = card === undefined ? '' : ' with a Branch Card asking for staging';
    for (const s of scenarios) {
      const fo = raise(bo.tier, s.old, card);
      const oldOutcome: Outcome = outcomeAt(old, bo.matched, fo);
      for (const e of newLevels) {
        if (s.floor !== undefined && (e === undefined || tierRank(e) < tierRank(s.floor))) continue;
        if (e !== undefined && impliesOld(e) && (s.old === undefined || tierRank(s.old) < tierRank(e))) continue;
        const fn = raise(bn.tier, e, card);
        const newOutcome: Outcome = outcomeAt(next, bn.matched, fn);
        // Messages are built only for findings: most cells have none.
        const where = () => `${describeCell(c)}${s.label}${e === undefined ? '' : ` if the new velocity limits escalate it to ${e}`}${cardLabel}`;
        const place = `${c.actuator}/${c.operation}`;
        if (oldOutcome.blocked) {
          if (!newOutcome.blocked) add('BLOCK_LIFTED', `${place}|${fo}`, () => `${where()}: was BLOCK (unsatisfiable requirements), now ${fn}`);
          continue;
        }
        if (newOutcome.blocked) continue;
        if (tierRank(fn) < tierRank(fo)) {
          add('TIER_LOWERED', `${place}|${fo}|${fn}`, () => `${where()}: tier ${fo} → ${fn}`);
          continue;
        }
        if (fn !== fo) continue;
        for (const w of weakened(oldOutcome, newOutcome)) add('REQUIREMENT_WEAKENED', `${place}|${fo}|${w}`, () => `${where()}: at ${fo}, ${w}`);
      }
    }
  }
}

/** A velocity rule with no count limit and no amount limit in the cell's currency never escalates it. */
function canFire(v: VelocityRule, c: Cell): boolean {
  return v.maxCount !== undefined || (c.money !== undefined && v.maxAmount?.[c.money.currency] !== undefined);
}

function raise(t: Tier, ...by: (Tier | undefined)[]): Tier {
  let out = t;
  for (const x of by) if (x !== undefined) out = maxTier(out, x);
  return out;
}
