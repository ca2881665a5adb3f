import { describe, expect, it } from 'vitest';
import { verifyLiveness } from '../../src/core/liveness/verify.ts';
import { decideAcceptance, modalityMargin, SOFT_CHECKS } from '../../src/core/liveness/fusion.ts';
import { DEFAULT_CONFIG } from '../../src/core/liveness/config.ts';
import type { Check, ModalityResult, SessionStreams } from '../../src/core/liveness/types.ts';
import { makePerson } from '../../clients/device/person.ts';
import { FAMILIES } from '../../clients/device/family.ts';
import { MODALITIES, type Modality } from '../../src/core/policy/modality.ts';
import { buildProfile } from '../../src/core/liveness/profile.ts';
import { recordedDecisionProblem } from '../../src/core/liveness/decision-record.ts';
import { livenessSummary } from '../../src/gateway/signatures/liveness-summary.ts';
import { simulateSession } from '../../clients/device/session.ts';
import { stimulusFor } from './helpers.ts';

/**
 * The acceptance rule for two or more primaries (src/core/liveness/fusion.ts, docs/liveness.md
 * §Acceptance): soft checks fused into per-modality margins, hard checks veto alone, no modality
 * below the floor.
 */

const mod = (checks: Check[]): ModalityResult => ({ accepted: checks.every((c) => c.passed), score: 0.5, reasons: [], features: {}, checks, responses: [] });
const soft = (id: string, margin: number): Check => ({ id, passed: margin >= 0, message: id, margin });
const hard = (id: string, passed: boolean): Check => ({ id, passed, message: id });

describe('fusion rule (decideAcceptance)', () => {
  const fusion = { floor: -1, minFused: 0, cap: 1 };

  it('a narrow soft miss in one modality is carried by a strong other; the every-check rule rejects it', () => {
    const results = { motion: mod([soft('motion.coupling', 1), soft('motion.stationarity', 3)]), typing: mod([soft('typing.rhythm-structure', -0.4), hard('typing.text', true)]) };
    const d = decideAcceptance({ modalities: ['motion', 'typing'], results, checks: [], supporting: new Set(), fusion });
    expect(d).toMatchObject({ accepted: true, rule: 'fusion', margins: { motion: 1, typing: -0.4 }, fused: 0.6 });
    expect(decideAcceptance({ modalities: ['motion', 'typing'], results, checks: [], supporting: new Set(), fusion: false })).toMatchObject({ accepted: false, rule: 'all' });
  });

  it('fusion only relaxes: a session whose every check passed is accepted even below a positive fused threshold', () => {
    const results = { motion: mod([soft('motion.coupling', 0)]), typing: mod([soft('typing.rhythm-structure', 0.47)]) };
    const strict = { floor: -0.5, minFused: 0.5, cap: 1 };
    expect(decideAcceptance({ modalities: ['motion', 'typing'], results, checks: [], supporting: new Set(), fusion: strict })).toMatchObject({ accepted: true, fused: 0.47 });
    const missed = { motion: mod([soft('motion.coupling', 1)]), typing: mod([soft('typing.rhythm-structure', -0.6)]) };
    expect(decideAcceptance({ modalities: ['motion', 'typing'], results: missed, checks: [], supporting: new Set(), fusion: { ...strict, floor: -1 } }).accepted).toBe(false);
  });

  it('a failed hard check rejects whatever the margins', () => {
    const results = { motion: mod([soft('motion.coupling', 1), hard('motion.jerk', false)]), gaze: mod([soft('gaze.coupling', 2)]) };
    expect(decideAcceptance({ modalities: ['motion', 'gaze'], results, checks: [], supporting: new Set(), fusion })).toMatchObject({ accepted: false, hardFailures: ['motion.jerk'] });
    // Session checks (cross-modal, duplicate, reuse, timing) are hard too.
    const clean = { motion: mod([soft('motion.coupling', 1)]), gaze: mod([soft('gaze.coupling', 2)]) };
    expect(decideAcceptance({ modalities: ['motion', 'gaze'], results: clean, checks: [hard('reuse', false)], supporting: new Set(), fusion }).accepted).toBe(false);
    // A soft id without a finite margin (nothing measurable, or the attack side of a two-sided check) is hard.
    const nan = { motion: mod([soft('motion.coupling', 1)]), gaze: mod([{ id: 'gaze.lag', passed: false, message: 'lead' }]) };
    expect(decideAcceptance({ modalities: ['motion', 'gaze'], results: nan, checks: [], supporting: new Set(), fusion })).toMatchObject({ accepted: false, hardFailures: ['gaze.lag'] });
  });

  it('a modality below the floor rejects even when the fused sum passes', () => {
    const results = { motion: mod([soft('motion.coupling', 1)]), gaze: mod([soft('gaze.coupling', 1)]), voice: mod([soft('voice.coupling', -1.2)]) };
    const d = decideAcceptance({ modalities: ['motion', 'gaze', 'voice'], results, checks: [], supporting: new Set(), fusion });
    expect(d.fused).toBeCloseTo(0.8);
    expect(d.accepted).toBe(false);
    expect(decideAcceptance({ modalities: ['motion', 'gaze', 'voice'], results, checks: [], supporting: new Set(), fusion: { ...fusion, floor: -1.5 } }).accepted).toBe(true);
  });

  it('surplus is capped, deficits add up, supporting modalities never carry', () => {
    expect(modalityMargin([soft('motion.coupling', 5), soft('motion.stationarity', 4)], 1)).toBe(1);
    expect(modalityMargin([soft('voice.coupling', -0.5), soft('voice.syllables', -0.4), soft('voice.stationarity', 3)], 1)).toBeCloseTo(-0.9);
    // One primary with a narrow miss plus a strong supporting modality: the single-primary rule, rejected.
    const results = { motion: mod([soft('motion.coupling', -0.5)]), hrv: mod([soft('hrv.coupling', 2)]) };
    expect(decideAcceptance({ modalities: ['motion', 'hrv'], results, checks: [], supporting: new Set(['hrv']), fusion })).toMatchObject({ accepted: false, rule: 'supporting' });
  });

  it('verifiers put margins on the soft checks, and only on them', () => {
    const owner = makePerson('test-person-fusion-six');
    const enrol = [0, 1, 2].map((k) => {
      const s = stimulusFor(`fusion-six-enrol-${k}`, [...MODALITIES]);
      return verifyLiveness({ stimulus: s, streams: simulateSession(s, owner, [...MODALITIES], { seed: `test/fusion-six-enrol-${k}` }).streams });
    });
    const s = stimulusFor('fusion-six', [...MODALITIES]);
    const r = verifyLiveness({ stimulus: s, streams: simulateSession(s, owner, [...MODALITIES], { seed: 'test/fusion-six' }).streams, profile: buildProfile(enrol) });
    const emitted = Object.values(r.modalities).flatMap((x) => x!.checks);
    for (const c of emitted) expect(`${c.id} ${c.margin !== undefined}`).toBe(`${c.id} ${SOFT_CHECKS.has(c.id)}`);
    // Every soft check is emitted by some verifier (a renamed check would silently turn hard).
    for (const id of SOFT_CHECKS) expect(emitted.map((c) => c.id)).toContain(id);
  });
});

describe('fusion in verifyLiveness (a genuine motion+voice session, family A)', () => {
  const stimulus = stimulusFor('fusion-a', ['motion', 'voice']);
  const session = simulateSession(stimulus, makePerson('test-person-fusion-a'), ['motion', 'voice'], { seed: 'test/fusion-a' });
  const base = verifyLiveness({ stimulus, streams: session.streams, arrivals: session.arrivals });
  const syllables = base.modalities.voice!.checks.find((c) => c.id === 'voice.syllables')!;
  const share = syllables.margin! * 0.15 + DEFAULT_CONFIG.voice.minSyllableMatch;

  it('is accepted, with the rule and margins recorded', () => {
    expect(base.accepted, base.reasons.join('\n')).toBe(true);
    expect(base.decision).toMatchObject({ rule: 'fusion', hardFailures: [], margins: { motion: 1 } });
  });

  it('voice narrowly misses its syllable threshold, motion is strong: accepted by fusion, refused by every-check', () => {
    // The threshold set just above this session's syllable share: a narrow soft miss (margin -0.4).
    const config = { voice: { minSyllableMatch: share + 0.06 } };
    const fused = verifyLiveness({ stimulus, streams: session.streams, arrivals: session.arrivals, config });
    expect(fused.modalities.voice!.accepted).toBe(false);
    expect(fused.modalities.voice!.checks.filter((c) => !c.passed).map((c) => c.id)).toEqual(['voice.syllables']);
    expect(fused.accepted).toBe(true);
    expect(fused.decision.rule).toBe('fusion');
    expect(fused.decision.margins!.voice).toBeCloseTo(-0.4, 1);
    expect(fused.score).toBe(0.5);
    expect(verifyLiveness({ stimulus, streams: session.streams, arrivals: session.arrivals, config, acceptance: { fusion: false } }).accepted).toBe(false);
  });

  it('the log summary records the rule, and the offline re-check accepts only what the rule accepts', () => {
    const config = { voice: { minSyllableMatch: share + 0.06 } };
    const summary = livenessSummary(verifyLiveness({ stimulus, streams: session.streams, arrivals: session.arrivals, config }));
    expect(summary['decision']).toMatchObject({ rule: 'fusion', ...DEFAULT_CONFIG.fusion });
    expect(JSON.stringify(summary)).not.toMatch(/hardFailures/);
    expect(recordedDecisionProblem(summary)).toBeNull();
    const tamper = (f: (s: Record<string, any>) => void): string | null => {
      const s = structuredClone(summary) as Record<string, any>;
      f(s);
      return recordedDecisionProblem(s);
    };
    expect(tamper((s) => { s.decision.margins.voice = -1.5; s.decision.fused = -0.5; })).toMatch(/voice margin -1.5 is below the floor/);
    expect(tamper((s) => { s.decision.fused = 3; })).toMatch(/not the sum/);
    expect(tamper((s) => { s.modalities.motion.failedChecks.push('motion.jerk'); })).toMatch(/hard check\(s\) failed: motion.jerk/);
    expect(tamper((s) => { s.failedChecks.push('reuse'); })).toMatch(/session check/);
    expect(tamper((s) => { s.decision.rule = 'all'; })).toMatch(/hard check\(s\) failed: voice.syllables/);
    expect(tamper((s) => { s.decision.margins.voice = 0.2; s.decision.fused = 1.2; })).toMatch(/not negative/);
    expect(tamper((s) => { s.decision.margins.motion = -0.5; s.decision.fused = -0.9; })).toMatch(/motion failed no soft check but its recorded margin -0.5 is negative/);
    // A supporting modality's weak response is tolerated by its rule; a refusal is not re-checked.
    expect(tamper((s) => { s.accepted = false; s.decision.fused = 3; })).toBeNull();
  });

  it('a hard failure in the strong modality rejects, whatever the margins', () => {
    const streams: SessionStreams = structuredClone(session.streams);
    const acc = streams.motion!.acc;
    for (let k = 0; k < 4; k++) acc[400 + 37 * k]!.x = 80; // beyond what a hand moves a phone
    const r = verifyLiveness({ stimulus, streams, arrivals: session.arrivals });
    expect(r.accepted).toBe(false);
    expect(r.decision.hardFailures).toContain('motion.acceleration');
    // And a replay of this very session: the duplicate check alone rejects.
    const replay = verifyLiveness({ stimulus, streams: session.streams, arrivals: session.arrivals, history: [base.fingerprint] });
    expect(replay.accepted).toBe(false);
    expect(replay.decision.hardFailures).toContain('duplicate');
  });

  it('a garbage voice stream (a recording answering another challenge) falls below the floor and rejects', () => {
    const other = stimulusFor('fusion-a-other', ['voice']);
    const foreign = simulateSession(other, makePerson('test-person-fusion-a'), ['voice'], { seed: 'test/fusion-a-other' }).streams.voice!;
    const r = verifyLiveness({ stimulus, streams: { ...session.streams, voice: foreign } });
    expect(r.accepted).toBe(false);
    expect(r.decision.rule).toBe('fusion');
    expect(r.decision.hardFailures).toEqual([]);
    expect(r.decision.margins!.voice).toBeLessThan(DEFAULT_CONFIG.fusion.floor);
    // Motion alone is as strong as it was: only the floor (and the fused sum) can have rejected it.
    expect(r.decision.margins!.motion).toBe(1);
  });
});

describe('the gateway and the offline verifier agree on the rule', () => {
  it('every acceptance passes the re-check of its logged summary; every refusal, logged as an acceptance, fails it', () => {
    // Stricter thresholds than shipped, so that genuine pairs miss soft checks: some carried, some not.
    const config = { typing: { minRhythmScore: 1.4 }, voice: { minSyllableMatch: 0.8 }, gaze: { minCorrelation: 0.8 }, motion: { tiltMinDeg: 16 } };
    const pairs: Modality[][] = [['motion', 'typing'], ['typing', 'gaze'], ['gaze', 'voice'], ['motion', 'voice'], ['typing', 'voice'], ['motion', 'gaze']];
    const seen = { fused: 0, clean: 0, refused: 0 };
    for (const fam of ['a', 'b'] as const) {
      pairs.forEach((mods, i) => {
        const label = `fusion-agree-${fam}-${i}`;
        const stimulus = stimulusFor(label, mods);
        const s = FAMILIES[fam].simulate(stimulus, FAMILIES[fam].makePerson(`test-${label}`), mods, { seed: 'test/' + label });
        const r = verifyLiveness({ stimulus, streams: s.streams, arrivals: s.arrivals, config });
        const summary = livenessSummary(r);
        if (r.accepted) {
          expect(recordedDecisionProblem(summary), label).toBeNull();
          seen[r.decision.margins && Object.values(r.decision.margins).some((e) => e! < 0) ? 'fused' : 'clean']++;
        } else {
          expect(recordedDecisionProblem({ ...summary, accepted: true }), label).not.toBeNull();
          seen.refused++;
        }
      });
    }
    // The sample exercises all three outcomes (else the test would prove nothing).
    expect(seen.fused).toBeGreaterThan(0);
    expect(seen.clean).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  });
});
