/**
 * The fusion rule in the leave-one-family-out evaluation (bench/eval-liveness.ts): choose the
 * acceptance rule (FUSION_CANDIDATES) on one family — combined sessions and pair attacks verified at
 * the thresholds chosen on that family — and report it on the other family at the thresholds chosen
 * on the first, both ways, and the union of the held-out halves: BPCER of the default HIGH
 * combination and APCER of every signal-level class measured as pair attacks, with counts.
 */
import { DEFAULT_CONFIG } from '../src/core/liveness/config.ts';
import { FUSION_CANDIDATES } from './liveness-candidates.ts';
import { PAIR_CLASSES } from './liveness-pairs.ts';

interface Out { job: { kind: string; fam: 'a' | 'b'; a?: string }; modality: string; rules?: boolean[][]; companion?: string; detail?: string[] }
interface Rate { n: number; k: number; rate: number }
type Pct = (r: Rate) => string;

const rateOf = (xs: boolean[]): Rate => ({ n: xs.length, k: xs.filter(Boolean).length, rate: xs.length ? xs.filter(Boolean).length / xs.length : 0 });
const sum = (a: Rate, b: Rate): Rate => ({ n: a.n + b.n, k: a.k + b.k, rate: (a.k + b.k) / Math.max(1, a.n + b.n) });

/** Config column: 0 shipped, 1 chosen on the session's own family, 2 chosen on the other family. */
function figures(outs: Out[], fam: 'a' | 'b', col: number, c: number): { bpcer: Record<string, Rate>; apcer: Record<string, Rate & { byCompanion: Record<string, string> }> } {
  const comb = outs.filter((o) => o.job.kind === 'combined' && o.job.fam === fam);
  const bpcer: Record<string, Rate> = { all: rateOf(comb.map((o) => !o.rules![col]![c])) };
  for (const m of new Set(comb.map((o) => o.modality))) bpcer[m] = rateOf(comb.filter((o) => o.modality === m).map((o) => !o.rules![col]![c]));
  const apcer: Record<string, Rate & { byCompanion: Record<string, string> }> = {};
  for (const a of PAIR_CLASSES) {
    const ps = outs.filter((o) => o.job.kind === 'pair' && o.job.fam === fam && o.job.a === a);
    if (!ps.length) continue;
    const byCompanion: Record<string, string> = {};
    for (const comp of new Set(ps.map((o) => o.companion!))) {
      const cs = ps.filter((o) => o.companion === comp);
      byCompanion[comp] = `${cs.filter((o) => o.rules![col]![c]).length}/${cs.length}`;
    }
    apcer[a] = { ...rateOf(ps.map((o) => o.rules![col]![c]!)), byCompanion };
  }
  return { bpcer, apcer };
}

/** On the training family: the lowest combined BPCER with every pair class at APCER <= 1 % (else the least worst class); ties to the stricter candidate. */
function choose(outs: Out[], train: 'a' | 'b'): number {
  let best = 0, bestKey: [number, number] = [Infinity, Infinity];
  FUSION_CANDIDATES.forEach((_, c) => {
    const f = figures(outs, train, 1, c);
    const worst = Math.max(0, ...Object.values(f.apcer).map((r) => r.rate));
    const key: [number, number] = worst <= 0.01 ? [0, f.bpcer['all']!.rate] : [worst, f.bpcer['all']!.rate];
    if (key[0] < bestKey[0] || (key[0] === bestKey[0] && key[1] < bestKey[1] - 1e-9)) {
      best = c;
      bestKey = key;
    }
  });
  return best;
}

export function fusionReport(outs: Out[], pct: Pct): Record<string, unknown> {
  const f0 = DEFAULT_CONFIG.fusion;
  const shipped = FUSION_CANDIDATES.findIndex((c) => c.fusion !== false && c.fusion.floor === f0.floor && c.fusion.minFused === f0.minFused && c.fusion.cap === f0.cap);
  const chosen = { 'a->b': choose(outs, 'a'), 'b->a': choose(outs, 'b') };
  const heldOut = { 'a->b': figures(outs, 'b', 2, chosen['a->b']), 'b->a': figures(outs, 'a', 2, chosen['b->a']) };
  const everyCheck = { 'a->b': figures(outs, 'b', 2, 0), 'b->a': figures(outs, 'a', 2, 0) };
  const pool = (x: typeof heldOut['a->b'], y: typeof heldOut['a->b']): typeof x => {
    const bpcer: Record<string, Rate> = {};
    for (const k of new Set([...Object.keys(x.bpcer), ...Object.keys(y.bpcer)])) bpcer[k] = sum(x.bpcer[k] ?? rateOf([]), y.bpcer[k] ?? rateOf([]));
    const apcer: typeof x.apcer = {};
    for (const k of new Set([...Object.keys(x.apcer), ...Object.keys(y.apcer)])) {
      const p = x.apcer[k], q = y.apcer[k];
      const byCompanion: Record<string, string> = {};
      for (const comp of new Set([...Object.keys(p?.byCompanion ?? {}), ...Object.keys(q?.byCompanion ?? {})])) {
        const [k1, n1] = (p?.byCompanion[comp] ?? '0/0').split('/').map(Number), [k2, n2] = (q?.byCompanion[comp] ?? '0/0').split('/').map(Number);
        byCompanion[comp] = `${k1! + k2!}/${n1! + n2!}`;
      }
      apcer[k] = { ...sum(p ?? rateOf([]), q ?? rateOf([])), byCompanion };
    }
    return { bpcer, apcer };
  };
  const union = pool(heldOut['a->b'], heldOut['b->a']);
  const unionEvery = pool(everyCheck['a->b'], everyCheck['b->a']);
  const inFamily = shipped < 0 ? undefined : { a: figures(outs, 'a', 0, shipped), b: figures(outs, 'b', 0, shipped) };

  console.log(`\nAcceptance rule for two or more primaries, chosen on A for B: ${FUSION_CANDIDATES[chosen['a->b']]!.label}; on B for A: ${FUSION_CANDIDATES[chosen['b->a']]!.label}`);
  const printB = (title: string, f: typeof union): void => {
    console.log(`\n${title}`);
    for (const [m, r] of Object.entries(f.bpcer)) console.log(`  ${m.padEnd(34)} ${pct(r)}`);
  };
  const printA = (title: string, f: typeof union): void => {
    console.log(`\n${title}`);
    for (const [a, r] of Object.entries(f.apcer)) console.log(`  ${a.padEnd(22)} ${pct(r).padEnd(20)} ${Object.entries(r.byCompanion).filter(([, v]) => !v.startsWith('0/')).map(([m, v]) => `with ${m} ${v}`).join(', ')}`);
  };
  printB('BPCER default HIGH combination, chosen rule, held out A->B', heldOut['a->b']);
  printB('BPCER default HIGH combination, chosen rule, held out B->A', heldOut['b->a']);
  printB('BPCER default HIGH combination, chosen rule, union', union);
  printB('BPCER default HIGH combination, every-check rule, union (same sessions)', unionEvery);
  printA('APCER pair attacks (attacked + companion), chosen rule, union', union);
  printA('APCER pair attacks, every-check rule, union', unionEvery);
  // Every candidate on the held-out halves, for the record (the choice above never looks at these).
  const perCandidate = FUSION_CANDIDATES.map((cand, c) => {
    const x = figures(outs, 'b', 2, c), y = figures(outs, 'a', 2, c);
    const u = pool(x, y);
    return { rule: cand.label, bpcerUnion: u.bpcer['all']!, bpcerAtoB: x.bpcer['all']!, bpcerBtoA: y.bpcer['all']!, worstPairApcerUnion: Math.max(0, ...Object.values(u.apcer).map((r) => r.rate)) };
  });
  console.log('\nEvery candidate held out (for the record; the choice is made on the training family only):');
  for (const r of perCandidate) console.log(`  ${r.rule.padEnd(34)} BPCER union ${pct(r.bpcerUnion)}, A->B ${pct(r.bpcerAtoB)}, B->A ${pct(r.bpcerBtoA)}; worst pair class ${(100 * r.worstPairApcerUnion).toFixed(1)} %`);
  // What decided, on the held-out halves: every rejected bona fide session and every accepted attack.
  console.log('\nHeld out, chosen rule: rejected combined bona fide sessions and accepted pair attacks (hard failures; margins at the shipped fusion parameters)');
  for (const [test, c] of [['b', chosen['a->b']], ['a', chosen['b->a']]] as const) {
    for (const o of outs.filter((x) => x.job.fam === test && x.rules)) {
      const acc = o.rules![2]![c]!;
      if (o.job.kind === 'combined' ? !acc : acc) console.log(`  ${test} ${o.job.kind}${o.job.a ? ' ' + o.job.a + ' with ' + o.companion : ''} ${o.modality}: ${o.detail?.[2] ?? ''}`);
    }
  }
  if (inFamily) {
    printB(`BPCER combined, shipped thresholds and shipped rule (${FUSION_CANDIDATES[shipped]!.label}), family A`, inFamily.a);
    printB('same, family B', inFamily.b);
    printA('APCER pair attacks, shipped thresholds and rule, family A', inFamily.a);
    printA('same, family B', inFamily.b);
  }
  return {
    note: 'Acceptance rule for two or more primaries (src/core/liveness/fusion.ts): chosen on one family among bench/liveness-candidates.ts FUSION_CANDIDATES, reported on the other; pair attacks = one primary attacked by the class, the other by the companion (liveness-pairs.ts). Counts k/n.',
    candidates: FUSION_CANDIDATES.map((c) => c.label),
    chosen: { 'a->b': FUSION_CANDIDATES[chosen['a->b']]!.label, 'b->a': FUSION_CANDIDATES[chosen['b->a']]!.label },
    heldOut,
    union,
    everyCheckRule: { heldOut: everyCheck, union: unionEvery },
    everyCandidateHeldOut: perCandidate,
    ...(inFamily ? { inFamilyShipped: { rule: FUSION_CANDIDATES[shipped]!.label, ...inFamily } } : {}),
  };
}
