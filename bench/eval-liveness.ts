/**
 * Liveness evaluation in ISO/IEC 30107-3 terms (npm run eval:liveness), leave one simulator family out.
 *
 *   APCER (per attack class): share of attack presentations accepted.
 *   BPCER (per modality):     share of bona fide presentations rejected.
 *
 * Two simulator families written from different published models (clients/device = family A,
 * clients/device/family-b = family B; docs/simulators-family-b.md). For each direction (A -> B,
 * B -> A) the thresholds marked *tuned* are chosen on the training family among a few candidates
 * (bench/liveness-candidates.ts: the lowest BPCER whose every signal-level attack class stays at
 * APCER <= 1 %, else the least APCER) and reported on the held-out family; the union pools both
 * held-out halves. In-family figures at the shipped config are printed beside them. Every
 * verification runs the gateway's pipeline: verifyLiveness with the claimed person's enrolled
 * profile (three sessions), the fingerprints the gateway holds, and the stream arrivals.
 * Combined sessions are two primary modalities captured together (every pair of motion, typing,
 * gaze, voice) and all six (hrv and eda supporting): the default HIGH policy. Its acceptance rule
 * (every check, or fusion of soft checks: src/core/liveness/fusion.ts) is chosen on one family among
 * FUSION_CANDIDATES and reported on the other, with every signal-level class also measured as pair
 * attacks (bench/liveness-pairs.ts, bench/liveness-fusion-report.ts).
 * Reference rows (live-synthesis, live-impostor, splice) are reported, not targeted.
 * Also reports the onset-estimation error (estimated minus true onset) of gestures, typed and
 * spoken words and skin-conductance responses on family B, whose simulator exposes ground truth.
 *
 * Flags (corpus sizes per family): --people N (24), --bona-fide N per modality (100), --combined N
 * (70), --per-attack N per class, spread over the modalities (60), --pairs N pair attacks per
 * signal-level class (half of --per-attack), --only m1,m2, --quick, --dump.
 * Only the default sizes write bench/liveness.json. Default run: ~5-8 min on 2 shared cores.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { MODALITIES, type Modality } from '../src/core/policy/modality.ts';
import { deriveStimulus } from '../src/core/stimulus/stimulus.ts';
import { verifyLiveness } from '../src/core/liveness/verify.ts';
import { buildProfile } from '../src/core/liveness/profile.ts';
import { DEFAULT_CONFIG, type ConfigOverrides } from '../src/core/liveness/config.ts';
import { DEFAULT_TIMING } from '../src/core/liveness/timing.ts';
import type { Fingerprint, LivenessResult, PersonProfile } from '../src/core/liveness/types.ts';
import { FAMILIES, type SimFamily } from '../clients/device/family.ts';
import type { SimulatedSessionB } from '../clients/device/family-b/session.ts';
import { ATTACK_KINDS, REFERENCE_ATTACKS, attack, attackModalities, type AttackKind } from '../clients/device/attacks.ts';
import { candidates, chosenConfig, FUSION_CANDIDATES } from './liveness-candidates.ts';
import { decisionDetail, fusionDecisions, pairAttempt, pairPlan, PAIR_CLASSES } from './liveness-pairs.ts';
import { fusionReport } from './liveness-fusion-report.ts';
import { benchLiveness } from './liveness.ts';

type Fam = 'a' | 'b';
interface Opts { people: number; bonaFide: number; combined: number; perAttack: number; pairs: number; only?: Modality[]; dump: boolean }
interface Enrolled { id: string; profile: PersonProfile; history: Fingerprint[] }

/** Slow modalities: supporting evidence (a weak response is not fatal), never alone for HIGH. */
export const SUPPORTING: readonly Modality[] = ['hrv', 'eda'];
const PRIMARY: readonly Modality[] = ['motion', 'typing', 'gaze', 'voice'];

const seed = (s: string): Buffer => createHash('sha256').update('challenge/' + s).digest();

/** Combined sessions: every pair of primary modalities, and all six, in rotation. */
function pickCombo(i: number): Modality[] {
  const combos: Modality[][] = [[...MODALITIES]];
  for (let a = 0; a < PRIMARY.length; a++) for (let b = a + 1; b < PRIMARY.length; b++) combos.push([PRIMARY[a]!, PRIMARY[b]!]);
  return combos[i % combos.length]!;
}

type Job =
  | { kind: 'enrol'; fam: Fam; i: number }
  | { kind: 'bf'; fam: Fam; m: Modality; i: number }
  | { kind: 'attack'; fam: Fam; a: AttackKind; m: Modality; i: number }
  | { kind: 'combined'; fam: Fam; i: number; configs: ConfigOverrides[] }
  | { kind: 'pair'; fam: Fam; a: AttackKind; i: number; configs: ConfigOverrides[] };
interface Outcome {
  job: Job;
  /** Accepted under each candidate of the modality (single-modality jobs) or each given config (combined). */
  accepted: boolean[];
  /** Failed check ids per candidate. */
  failed: string[][];
  modality: string;
  verifyMs: number;
  enrolled?: Enrolled;
  /** Combined and pair sessions: accepted under each fusion candidate (FUSION_CANDIDATES), per config. */
  rules?: boolean[][];
  /** Combined and pair sessions, per config: hard failures and margins (shipped fusion parameters). */
  detail?: string[];
  /** Pair attempts: the companion attack on the other modality. */
  companion?: string;
  /** Estimated minus true onset, ms (family B bona fide only). */
  onsetErrors?: number[];
  features?: unknown;
}

function enrol(fam: SimFamily, i: number): Enrolled {
  const person = fam.makePerson(`${fam.name}-person-${i}`);
  const results: LivenessResult[] = [];
  for (let k = 0; k < 3; k++) {
    const stim = deriveStimulus(seed(`${fam.name}/enrol/${i}/${k}`));
    results.push(verifyLiveness({ stimulus: stim, streams: fam.simulate(stim, person, stim.modalities, { seed: `${fam.name}/enrol/${i}/${k}` }).streams }));
  }
  // As the gateway keeps them: element descriptors of accepted sessions only.
  return { id: person.id, profile: buildProfile(results), history: results.map((r) => (r.accepted ? r.fingerprint : { v: 1, modalities: r.fingerprint.modalities })) };
}

const failedIds = (res: LivenessResult): string[] => [...Object.values(res.modalities).flatMap((r) => r!.checks), ...res.checks].filter((c) => !c.passed).map((c) => c.id);

function run(job: Job, people: Record<Fam, Enrolled[]>, dump: boolean): Outcome {
  const fam = FAMILIES[job.fam];
  if (job.kind === 'enrol') return { job, accepted: [], failed: [], modality: '', verifyMs: 0, enrolled: enrol(fam, job.i) };
  const e = people[job.fam][job.i % people[job.fam].length]!;
  const person = fam.makePerson(e.id);
  const accepted: boolean[] = [], failed: string[][] = [];
  let verifyMs = 0;
  const verify = (input: Parameters<typeof verifyLiveness>[0]): LivenessResult => {
    const v0 = performance.now();
    const res = verifyLiveness(input);
    verifyMs += performance.now() - v0;
    accepted.push(res.accepted);
    failed.push(res.accepted ? [] : failedIds(res));
    return res;
  };
  const tag = `${job.fam}/${job.kind}/${job.kind === 'attack' || job.kind === 'pair' ? job.a + '/' : ''}${job.kind === 'combined' ? 'c' : job.kind === 'pair' ? 'p' : job.m}/${job.i}`;
  if (job.kind === 'combined') {
    const mods = pickCombo(job.i);
    const stim = deriveStimulus(seed(tag), { modalities: mods });
    const s = fam.simulate(stim, person, mods, { seed: tag });
    const res = job.configs.map((cfg) => verify({ stimulus: stim, streams: s.streams, arrivals: s.arrivals, profile: e.profile, history: e.history, acceptance: { supporting: SUPPORTING, fusion: false }, config: cfg }));
    return { job, accepted, failed, modality: mods.join('+'), verifyMs, rules: res.map((r) => fusionDecisions(r, mods, SUPPORTING)), detail: res.map((r) => decisionDetail(r, mods, SUPPORTING)) };
  }
  if (job.kind === 'pair') {
    const plan = pairPlan(job.a, job.i);
    const stim = deriveStimulus(seed(tag), { modalities: plan.pair });
    const at = pairAttempt(job.a, plan, stim, person, fam, tag);
    const res = job.configs.map((cfg) => verify({ stimulus: stim, streams: at.streams, arrivals: at.arrivals, profile: e.profile, history: [...e.history, ...at.history], acceptance: { supporting: SUPPORTING, fusion: false }, config: cfg }));
    return { job, accepted, failed, modality: `${plan.attacked}+${plan.other}`, verifyMs, rules: res.map((r) => fusionDecisions(r, plan.pair, SUPPORTING)), detail: res.map((r) => decisionDetail(r, plan.pair, SUPPORTING)), companion: plan.companion };
  }
  const cands = candidates(job.m);
  if (job.kind === 'bf') {
    const stim = deriveStimulus(seed(tag), { modalities: [job.m] });
    const s = fam.simulate(stim, person, [job.m], { seed: tag });
    const results = cands.map((c) => verify({ stimulus: stim, streams: s.streams, arrivals: s.arrivals, profile: e.profile, history: e.history, config: c.overrides }));
    const first = results[0];
    const out: Outcome = { job, accepted, failed, modality: job.m, verifyMs };
    const truth = (s as Partial<SimulatedSessionB>).truth?.[job.m as 'motion' | 'typing' | 'voice' | 'eda'];
    if (truth) {
      const els = job.m === 'motion' ? stim.motion!.prompts : job.m === 'eda' ? stim.eda!.events : job.m === 'typing' ? stim.typing!.words : stim.voice!.words;
      out.onsetErrors = first!.modalities[job.m]!.responses.filter((r) => r.onset !== null && r.index < truth.length && Number.isFinite(truth[r.index]!) && els[r.index]!.atMs === r.revealAt).map((r) => Math.round(r.onset! - truth[r.index]!));
    }
    if (dump) out.features = first!.modalities[job.m]!.features;
    return out;
  }
  const stim = deriveStimulus(seed(tag), { modalities: [job.m] });
  const at = attack(job.a, { stimulus: stim, victim: person, modality: job.m, seed: tag, family: fam });
  if (job.a === 'contradict') {
    // Two modalities: verified at the shipped config only (cross-modal checks have no candidates).
    const res = verify({ stimulus: at.stimulus, streams: at.streams, arrivals: at.arrivals, profile: e.profile, history: [...e.history, ...at.history] });
    for (let k = 1; k < cands.length; k++) {
      accepted.push(res.accepted);
      failed.push(failed[0]!);
    }
    return { job, accepted, failed, modality: at.modalities.join('+'), verifyMs };
  }
  for (const c of cands) verify({ stimulus: at.stimulus, streams: at.streams, arrivals: at.arrivals, profile: e.profile, history: [...e.history, ...at.history], config: c.overrides });
  return { job, accepted, failed, modality: at.modalities.join('+'), verifyMs };
}

function worker(): void {
  const { slice, people, dump } = workerData as { slice: Job[]; people: Record<Fam, Enrolled[]>; dump: boolean };
  parentPort!.postMessage(slice.map((j) => run(j, people, dump)));
}

async function pool(jobs: Job[], people: Record<Fam, Enrolled[]>, dump: boolean): Promise<Outcome[]> {
  const n = Math.max(1, Math.min(availableParallelism(), 4));
  const slices: Job[][] = Array.from({ length: n }, () => []);
  jobs.forEach((j, k) => slices[k % n]!.push(j));
  return (await Promise.all(slices.map((slice) => new Promise<Outcome[]>((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { slice, people, dump } });
    w.once('message', resolve);
    w.once('error', reject);
  })))).flat();
}

interface Rate { n: number; k: number; rate: number; reasons: Record<string, number> }
const rate = (outs: { ok: boolean; failed: string[] }[], count: (o: { ok: boolean }) => boolean): Rate => {
  const r: Rate = { n: outs.length, k: 0, rate: 0, reasons: {} };
  for (const o of outs) {
    if (count(o)) r.k++;
    for (const f of o.failed) r.reasons[f] = (r.reasons[f] ?? 0) + 1;
  }
  r.rate = r.n ? r.k / r.n : 0;
  return r;
};

/** Per-modality BPCER and per-class (and per class x modality) APCER of single-modality outcomes, at candidate index pick(m). */
function tables(outs: Outcome[], pick: (m: Modality) => number): { bpcer: Record<string, Rate>; apcer: Record<string, Rate & { byModality: Record<string, string> }> } {
  const bpcer: Record<string, Rate> = {};
  for (const m of MODALITIES) {
    const os = outs.filter((o) => o.job.kind === 'bf' && o.job.m === m).map((o) => ({ ok: o.accepted[pick(m)]!, failed: o.failed[pick(m)]! }));
    if (os.length) bpcer[m] = rate(os, (o) => !o.ok);
  }
  const apcer: Record<string, Rate & { byModality: Record<string, string> }> = {};
  for (const a of ATTACK_KINDS) {
    const os = outs.filter((o) => o.job.kind === 'attack' && o.job.a === a);
    if (!os.length) continue;
    const byModality: Record<string, string> = {};
    for (const m of MODALITIES) {
      const mm = os.filter((o) => (o.job as { m: Modality }).m === m);
      if (mm.length) byModality[m] = `${mm.filter((o) => o.accepted[pick(m)]).length}/${mm.length}`;
    }
    apcer[a] = { ...rate(os.map((o) => { const m = (o.job as { m: Modality }).m; return { ok: o.accepted[pick(m)]!, failed: o.failed[pick(m)]! }; }), (o) => o.ok), byModality };
    // Attempts that only the element-reuse check rejected (what it adds over every other check).
    const reuseOnly = os.filter((o) => { const f = o.failed[pick((o.job as { m: Modality }).m)]!; return f.length === 1 && f[0] === 'reuse'; }).length;
    if (reuseOnly > 0) apcer[a]!.byModality['rejected only by reuse'] = `${reuseOnly}/${os.length}`;
  }
  return { bpcer, apcer };
}

/** Choose per modality, on a training family's outcomes, the candidate with the lowest BPCER whose every signal-level class is at APCER <= 1 %. */
function choose(outs: Outcome[], mods: readonly Modality[]): Partial<Record<Modality, number>> {
  const chosen: Partial<Record<Modality, number>> = {};
  for (const m of mods) {
    const bf = outs.filter((o) => o.job.kind === 'bf' && o.job.m === m);
    const at = outs.filter((o) => o.job.kind === 'attack' && o.job.m === m && !REFERENCE_ATTACKS.includes(o.job.a));
    let best = 0, bestKey: [number, number] = [Infinity, Infinity];
    candidates(m).forEach((_, c) => {
      const bp = bf.filter((o) => !o.accepted[c]).length / Math.max(1, bf.length);
      let worst = 0;
      for (const a of ATTACK_KINDS) {
        const os = at.filter((o) => (o.job as { a: AttackKind }).a === a);
        if (os.length) worst = Math.max(worst, os.filter((o) => o.accepted[c]).length / os.length);
      }
      const key: [number, number] = worst <= 0.01 ? [0, bp] : [worst, bp];
      if (key[0] < bestKey[0] || (key[0] === bestKey[0] && key[1] < bestKey[1] - 1e-9)) {
        best = c;
        bestKey = key;
      }
    });
    chosen[m] = best;
  }
  return chosen;
}

function quantiles(xs: number[]): Record<string, number> {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { n: s.length, p5: q(0.05), p25: q(0.25), median: q(0.5), p75: q(0.75), p95: q(0.95) };
}

const pct = (r: { k: number; n: number; rate: number }): string => `${(100 * r.rate).toFixed(1).padStart(5)} % (${r.k}/${r.n})`;
const top = (r: Rate): string => Object.entries(r.reasons).sort((x, y) => y[1] - x[1]).slice(0, 3).map(([k, v]) => `${k}:${v}`).join(' ');

async function main(): Promise<void> {
  const argv = process.argv;
  const num = (flag: string): number | undefined => (argv.includes(flag) ? Number(argv[argv.indexOf(flag) + 1]) : undefined);
  const quick = argv.includes('--quick');
  const o: Opts = { people: num('--people') ?? (quick ? 8 : 24), bonaFide: num('--bona-fide') ?? (quick ? 18 : 100), combined: num('--combined') ?? (quick ? 14 : 70), perAttack: num('--per-attack') ?? (quick ? 12 : 60), pairs: 0, dump: argv.includes('--dump') };
  o.pairs = num('--pairs') ?? Math.ceil(o.perAttack / 2);
  if (argv.includes('--only')) o.only = argv[argv.indexOf('--only') + 1]!.split(',') as Modality[];
  const mods = o.only ?? [...MODALITIES];
  const fams: Fam[] = ['a', 'b'];
  const t0 = performance.now();

  const enrolled = await pool(fams.flatMap((fam) => Array.from({ length: o.people }, (_, i): Job => ({ kind: 'enrol', fam, i }))), { a: [], b: [] }, false);
  const people: Record<Fam, Enrolled[]> = { a: [], b: [] };
  for (const r of enrolled) people[r.job.fam][(r.job as { i: number }).i] = r.enrolled!;

  const single: Job[] = [];
  for (const fam of fams) {
    for (const m of mods) for (let i = 0; i < o.bonaFide; i++) single.push({ kind: 'bf', fam, m, i });
    for (const a of ATTACK_KINDS) for (let i = 0; i < o.perAttack; i++) {
      const ms = attackModalities(a);
      const m = ms[i % ms.length]!;
      if (mods.includes(m)) single.push({ kind: 'attack', fam, a, m, i });
    }
  }
  const outs = await pool(single, people, o.dump);
  const of = (fam: Fam): Outcome[] => outs.filter((x) => x.job.fam === fam);
  const chosen: Record<string, Partial<Record<Modality, number>>> = { 'a->b': choose(of('a'), mods), 'b->a': choose(of('b'), mods) };
  const cfgFor = (test: Fam): ConfigOverrides => chosenConfig(chosen[test === 'b' ? 'a->b' : 'b->a']!);

  const selfCfg = (fam: Fam): ConfigOverrides => chosenConfig(chosen[fam === 'a' ? 'a->b' : 'b->a']!);
  // Combined sessions and pair attacks: each verified at the shipped config [0], at the config chosen on
  // this family [1] (to choose the fusion rule on it) and at the config chosen on the other family [2]
  // (held out). Every fusion candidate decides each verification.
  const configs = (fam: Fam): ConfigOverrides[] => [{}, selfCfg(fam), cfgFor(fam)];
  const combinedOuts = o.only ? [] : await pool(fams.flatMap((fam) => [
    ...Array.from({ length: o.combined }, (_, i): Job => ({ kind: 'combined', fam, i, configs: configs(fam) })),
    ...PAIR_CLASSES.flatMap((a) => Array.from({ length: o.pairs }, (_, i): Job => ({ kind: 'pair', fam, a, i, configs: configs(fam) }))),
  ]), people, false);
  const seconds = (performance.now() - t0) / 1000;

  const inFamily = Object.fromEntries(fams.map((f) => [f, tables(of(f), () => 0)]));
  const heldOut = { 'a->b': tables(of('b'), (m) => chosen['a->b']![m] ?? 0), 'b->a': tables(of('a'), (m) => chosen['b->a']![m] ?? 0) };
  const union = tables(outs, (m) => 0); // replaced below by pooling the held-out halves
  const pool2 = (x: Record<string, Rate>, y: Record<string, Rate>): Record<string, Rate> => {
    const out: Record<string, Rate> = {};
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      const a = x[k] ?? { n: 0, k: 0, rate: 0, reasons: {} }, b = y[k] ?? { n: 0, k: 0, rate: 0, reasons: {} };
      const reasons = { ...a.reasons };
      for (const [r, v] of Object.entries(b.reasons)) reasons[r] = (reasons[r] ?? 0) + v;
      out[k] = { n: a.n + b.n, k: a.k + b.k, rate: (a.k + b.k) / Math.max(1, a.n + b.n), reasons };
    }
    return out;
  };
  union.bpcer = pool2(heldOut['a->b'].bpcer, heldOut['b->a'].bpcer);
  union.apcer = pool2(heldOut['a->b'].apcer, heldOut['b->a'].apcer) as typeof union.apcer;
  for (const [k, v] of Object.entries(union.apcer)) v.byModality = Object.fromEntries([...MODALITIES, 'rejected only by reuse'].filter((m) => heldOut['a->b'].apcer[k]?.byModality[m] ?? heldOut['b->a'].apcer[k]?.byModality[m]).map((m) => {
    const [x1, n1] = (heldOut['a->b'].apcer[k]?.byModality[m] ?? '0/0').split('/').map(Number), [x2, n2] = (heldOut['b->a'].apcer[k]?.byModality[m] ?? '0/0').split('/').map(Number);
    return [m, `${x1! + x2!}/${n1! + n2!}`];
  }));

  const combined = (fam: Fam, idx: number): Record<string, Rate> => {
    const out: Record<string, Rate> = {};
    const cs = combinedOuts.filter((x) => x.job.fam === fam && x.job.kind === 'combined');
    for (const key of ['all', ...new Set(cs.map((x) => x.modality))]) {
      const os = cs.filter((x) => key === 'all' || x.modality === key).map((x) => ({ ok: x.accepted[idx]!, failed: x.failed[idx]! }));
      out[key] = rate(os, (x) => !x.ok);
    }
    return out;
  };
  const combinedRes = { inFamily: { a: combined('a', 0), b: combined('b', 0) }, heldOut: { 'a->b': combined('b', 2), 'b->a': combined('a', 2) } };
  const combinedUnion = pool2(combinedRes.heldOut['a->b'], combinedRes.heldOut['b->a']);

  const onsets: Record<string, Record<string, number>> = {};
  for (const m of ['motion', 'typing', 'voice', 'eda'] as Modality[]) {
    const errs = of('b').filter((x) => x.job.kind === 'bf' && x.job.m === m).flatMap((x) => x.onsetErrors ?? []);
    if (errs.length) onsets[m] = quantiles(errs);
  }

  console.log(`Liveness evaluation, leave one simulator family out: ${o.people} people per family, ${outs.length + combinedOuts.length} presentations, ${seconds.toFixed(1)} s\n`);
  for (const [dir, ch] of Object.entries(chosen)) console.log(`chosen on ${dir[0]!.toUpperCase()} for ${dir[3]!.toUpperCase()}: ${Object.entries(ch).map(([m, i]) => `${m}: ${candidates(m as Modality)[i]!.label}`).join('; ')}`);
  const printB = (title: string, t: Record<string, Rate>): void => {
    console.log(`\n${title}`);
    for (const [m, r] of Object.entries(t)) console.log(`  ${m.padEnd(22)} ${pct(r).padEnd(20)} ${top(r)}`);
  };
  const printA = (title: string, t: Record<string, Rate & { byModality: Record<string, string> }>): void => {
    console.log(`\n${title}`);
    for (const [a, r] of Object.entries(t)) console.log(`  ${(REFERENCE_ATTACKS.includes(a as AttackKind) ? a + '*' : a).padEnd(22)} ${pct(r).padEnd(20)} ${Object.entries(r.byModality).filter(([, v]) => !v.startsWith('0/')).map(([m, v]) => `${m} ${v}`).join(', ')}`);
  };
  for (const f of fams) printB(`BPCER, family ${f.toUpperCase()}, shipped config (in-family)`, inFamily[f]!.bpcer);
  printB('BPCER, held out A->B (chosen on A, measured on B)', heldOut['a->b'].bpcer);
  printB('BPCER, held out B->A', heldOut['b->a'].bpcer);
  printB('BPCER, union of the held-out halves', union.bpcer);
  if (!o.only) {
    printB('BPCER combined (hrv, eda supporting), family A shipped config', combinedRes.inFamily.a);
    printB('BPCER combined, family B shipped config', combinedRes.inFamily.b);
    printB('BPCER combined, held out A->B', combinedRes.heldOut['a->b']);
    printB('BPCER combined, held out B->A', combinedRes.heldOut['b->a']);
    printB('BPCER combined, union', combinedUnion);
  }
  for (const f of fams) printA(`APCER, family ${f.toUpperCase()}, shipped config (one modality per attempt)`, inFamily[f]!.apcer);
  printA('APCER, held out A->B', heldOut['a->b'].apcer);
  printA('APCER, held out B->A', heldOut['b->a'].apcer);
  printA('APCER, union', union.apcer);
  console.log('\nonset-estimation error on family B (estimated - true, ms):');
  for (const [m, q] of Object.entries(onsets)) console.log(`  ${m.padEnd(8)} n=${q.n} p5 ${q.p5} p25 ${q.p25} median ${q.median} p75 ${q.p75} p95 ${q.p95}`);
  const fusion = o.only ? undefined : fusionReport(combinedOuts, pct);
  const speed = benchLiveness();
  console.log(`\nverification: ${speed.liveness_verify_ms_all_modalities} ms CPU for one 30 s transcript with all six modalities (target <= 50 ms)`);
  console.log('* reference rows (live-synthesis, live-impostor, splice): reported, not targeted; the passkey stops them (docs/threat-model.md).');

  const out = {
    generatedBy: 'bench/eval-liveness.ts',
    note: 'Leave one simulator family out: thresholds chosen on one family (bench/liveness-candidates.ts), reported on the other; union = both held-out halves pooled. Counts are k/n.',
    targets: { apcerMax: 0.01, bpcerMax: 0.05 },
    sizes: o,
    presentations: outs.length + combinedOuts.length,
    seconds: +seconds.toFixed(1),
    chosen: Object.fromEntries(Object.entries(chosen).map(([d, ch]) => [d, Object.fromEntries(Object.entries(ch).map(([m, i]) => [m, candidates(m as Modality)[i]!.label]))])),
    families: inFamily,
    heldOut,
    union,
    combined: { ...combinedRes, union: combinedUnion, note: 'every-check rule (fusion candidate 0) at the thresholds of each column; the fusion rule is under `fusion`' },
    fusion,
    onsetErrorMs: { family: 'b', ...onsets },
    verifyMs: { allSixModalitiesCpu: speed.liveness_verify_ms_all_modalities },
    config: DEFAULT_CONFIG,
    timing: DEFAULT_TIMING,
  };
  if (o.dump) writeFileSync(join(tmpdir(), 'liveness-lofo-dump.json'), JSON.stringify(outs));
  const defaults = !quick && !o.only && ['--people', '--bona-fide', '--combined', '--per-attack', '--pairs'].every((f) => num(f) === undefined);
  if (defaults) writeFileSync(new URL('./liveness.json', import.meta.url), JSON.stringify(out, null, 2) + '\n');
}

if (isMainThread) await main();
else worker();
