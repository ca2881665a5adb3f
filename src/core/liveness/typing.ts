import { atLeast, inLogRange, scanMargin, SOFT_SCALES } from './margins.ts';
import type { TypingStimulus } from '../stimulus/types.ts';
import { CheckList, fmtS, unusable } from './checks.ts';
import { DEFAULT_CONFIG, type TypingConfig } from './config.ts';
import { checkTimes, mean, median, round, skewness, std } from './dsp.ts';
import type { KeyEvent, ModalityResult, PersonProfile, StimulusResponse } from './types.ts';
import { describeChange, lowerBound, scanChange, type SegmentFeatures } from './consistency.ts';
import { geometryAdjusted, keyMoments, keyPairs, patternZ, rankAutocorr, thumbSide } from './keyboard.ts';

export { thumbSide };

const TYPING_LABELS: Record<string, (a: number, b: number) => string> = {
  hold: (a, b) => `key hold ${round(Math.exp(a), 0)} -> ${round(Math.exp(b), 0)} ms`,
  holdSd: (a, b) => `hold spread ${round(a, 2)} -> ${round(b, 2)}`,
  iki: (a, b) => `key interval ${round(Math.exp(a), 0)} -> ${round(Math.exp(b), 0)} ms`,
  ikiSd: (a, b) => `interval spread ${round(a, 2)} -> ${round(b, 2)}`,
  read: (a, b) => `reading time ${round(a, 0)} -> ${round(b, 0)} ms`,
};

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

export interface Stroke { down: number; up: number | null; key: string }

/** Pair each key-down with the next key-up of the same key. */
export function strokes(keys: readonly KeyEvent[]): { list: Stroke[]; unpaired: number } {
  const list: Stroke[] = [];
  const open = new Map<string, Stroke[]>();
  let unpaired = 0;
  for (const k of keys) {
    if (k.type === 'down') {
      const s: Stroke = { down: k.t, up: null, key: k.key };
      list.push(s);
      const q = open.get(k.key) ?? [];
      q.push(s);
      open.set(k.key, q);
    } else {
      const s = open.get(k.key)?.shift();
      if (s) s.up = k.t;
      else unpaired++;
    }
  }
  unpaired += list.filter((s) => s.up === null).length;
  return { list, unpaired };
}

/** Replay the strokes into text: the final text, the word index of every letter stroke (-1 for others) and each word's first key-down. */
export function typedText(list: readonly Stroke[]): { text: string; wordOf: number[]; firstKey: Map<number, number> } {
  let text = '';
  const wordOf: number[] = [];
  const firstKey = new Map<number, number>();
  for (const s of list) {
    if (s.key === 'Backspace') text = text.slice(0, -1);
    else if (s.key.length === 1) text += s.key;
    const words = text.trimStart().split(/\s+/);
    const w = text.trim() === '' ? 0 : text.endsWith(' ') ? words.length : words.length - 1;
    wordOf.push(s.key.length === 1 && s.key !== ' ' ? w : -1);
    if (s.key.length === 1 && s.key !== ' ' && !firstKey.has(w)) firstKey.set(w, s.down);
  }
  return { text, wordOf, firstKey };
}

/**
 * Typing the revealed words.
 *
 * Plausibility: hold times 15-1500 ms and key-down intervals >= 20 ms (a finger needs time to land
 * and lift). Coupling: the text typed (after Backspace) must be this challenge's words, in order, each
 * word's first key no sooner than 200 ms after that word was revealed (nobody types a word before
 * reading it), and 70 % of the words revealed at least 8 s of free typing time before the end must be
 * typed. Rhythm: human keystroke
 * timing is variable (CV), right-skewed (log-normal), slower at the first letter of a word, and
 * faster for alternating-thumb letter pairs; a metronome, i.i.d. noise or 1/f noise around a mean
 * lacks those structures.
 */
export function verifyTyping(stream: { keys: KeyEvent[] } | undefined, stim: TypingStimulus, durationMs: number, cfg: TypingConfig, profile?: PersonProfile['typing'], busy: readonly [number, number][] = []): ModalityResult {
  const keys = stream?.keys;
  if (!Array.isArray(keys) || keys.length < 2) return unusable('typing', 'typing: no key events');
  const bad = checkTimes(keys);
  if (bad) return unusable('typing', `typing: ${bad}`);
  if (keys.some((k) => typeof k.key !== 'string' || k.key.length === 0 || (k.type !== 'down' && k.type !== 'up'))) return unusable('typing', "typing: a key event lacks a key name or a type of 'down'/'up'");
  const c = new CheckList('typing');
  const { list, unpaired } = strokes(keys);
  const n = list.length;

  // Plausibility.
  const holds = list.filter((s) => s.up !== null).map((s) => s.up! - s.down);
  const badHolds = holds.filter((h) => h < cfg.holdMs.min || h > cfg.holdMs.max);
  const ikis: number[] = [];
  for (let i = 1; i < n; i++) ikis.push(list[i]!.down - list[i - 1]!.down);
  const tooFast = ikis.filter((x) => x < cfg.minIkiMs);
  const allowed = Math.floor(cfg.maxViolationFraction * n);
  c.add('hold-range', badHolds.length <= allowed, `typing: ${badHolds.length} key hold(s) outside ${cfg.holdMs.min}-${cfg.holdMs.max} ms (e.g. ${round(badHolds[0] ?? NaN, 0)} ms); a finger cannot press and release that fast`);
  c.add('key-interval', tooFast.length <= allowed, `typing: ${tooFast.length} key press(es) less than ${cfg.minIkiMs} ms after the previous one (e.g. ${round(tooFast[0] ?? NaN, 1)} ms)`);
  c.add('pairing', unpaired <= Math.max(2, allowed), `typing: ${unpaired} key events without a matching press/release`);

  // Reconstruct the text and which word each stroke belongs to.
  const { text, wordOf, firstKey } = typedText(list);
  const typed = text.trim().split(/\s+/).filter((w) => w.length > 0);
  const expected = stim.words;
  // Words revealed long enough before the end must be typed; time the hand spent on prompted
  // gestures (`busy`) does not count as typing time.
  const busyAfter = (t: number): number => busy.reduce((acc, [a, b]) => acc + Math.max(0, Math.min(b, durationMs) - Math.max(a, t)), 0);
  const required = Math.ceil(cfg.minWordShare * expected.filter((w) => durationMs - w.atMs - busyAfter(w.atMs) >= cfg.requireBeforeEndMs).length);
  const wrong: string[] = [];
  for (let i = 0; i < typed.length; i++) {
    const exp = expected[i];
    if (!exp) {
      wrong.push(`extra word "${typed[i]}"`);
      continue;
    }
    // The word being typed when the session ended may be unfinished (and carry a fresh typo).
    const isLastPartial = i === typed.length - 1 && i >= required && editDistance(typed[i]!, exp.word.slice(0, typed[i]!.length)) <= cfg.maxEditsPerWord;
    if (!isLastPartial && editDistance(typed[i]!, exp.word) > cfg.maxEditsPerWord) wrong.push(`word ${i + 1} typed "${typed[i]}" instead of "${exp.word}"`);
  }
  const missing = Math.max(0, required - typed.length);
  c.add('text', wrong.length === 0 && missing === 0, `typing: text does not match this challenge's words${missing ? ` (${missing} required word(s) never typed)` : ''}${wrong.length ? ': ' + wrong.slice(0, 3).join('; ') : ''}`);

  // Progressive reveal: a word cannot be started before it is on screen and read.
  const responses: StimulusResponse[] = expected.map((w, i) => ({ index: i, revealAt: w.atMs, onset: firstKey.get(i) ?? null }));
  const early = responses.filter((r) => r.onset !== null && r.onset < r.revealAt + cfg.minWordLatencyMs);
  c.add('reveal-latency', early.length === 0, `typing: ${early.length} word(s) started less than ${cfg.minWordLatencyMs} ms after being revealed (word ${(early[0]?.index ?? 0) + 1}: ${round((early[0]?.onset ?? 0) - (early[0]?.revealAt ?? 0), 0)} ms); nobody types a word before reading it`);

  // Rhythm. Within-word intervals: letter after letter of the same word, no Backspace nearby.
  const within: number[] = [], same: number[] = [], alt: number[] = [], initial: number[] = [];
  for (let i = 1; i < n; i++) {
    const a = list[i - 1]!, b = list[i]!;
    const d = b.down - a.down;
    if (d > 3000) continue;
    const fixing = a.key === 'Backspace' || b.key === 'Backspace' || list[i - 2]?.key === 'Backspace';
    if (fixing) continue;
    if (a.key === ' ' && wordOf[i]! >= 0) {
      const rev = expected[wordOf[i]!]?.atMs ?? Infinity;
      if (rev < a.down) initial.push(d);
      continue;
    }
    const sa = thumbSide(a.key), sb = thumbSide(b.key);
    if (sa && sb && wordOf[i] === wordOf[i - 1]) {
      within.push(d);
      if (a.key !== b.key) (sa === sb ? same : alt).push(d);
    }
  }
  const ikiCv = within.length > 2 ? std(within) / mean(within) : NaN;
  const holdCv = holds.length > 2 ? std(holds) / mean(holds) : NaN;
  // Skew of the timing, not of the keyboard: the intervals with the session's key-geometry pattern
  // divided out (keyboard.ts). A Fitts-law typist's raw intervals mix short and long key distances.
  const pairs = keyPairs(list, wordOf);
  const skew = skewness(geometryAdjusted(pairs).map(Math.exp));
  const initRatio = initial.length >= 2 && within.length >= 2 ? median(initial) / median(within) : NaN;
  const altRatio = same.length >= 2 && alt.length >= 2 ? median(same) / median(alt) : NaN;
  c.add('rhythm-variability', ikiCv >= cfg.ikiCv.min && ikiCv <= cfg.ikiCv.max, `typing: key interval variability (CV ${round(ikiCv, 2)}) outside the human range ${cfg.ikiCv.min}-${cfg.ikiCv.max}${ikiCv < cfg.ikiCv.min ? ': metronome-like' : ''}`);
  c.add('hold-variability', holdCv >= cfg.holdCv.min && holdCv <= cfg.holdCv.max, `typing: key hold variability (CV ${round(holdCv, 2)}) outside the human range ${cfg.holdCv.min}-${cfg.holdCv.max}`);
  // Structure score: right skew of the intervals and of the holds (both log-normal in people) plus
  // twice the same-thumb slowdown; all ~0 for i.i.d. or 1/f noise around a mean, ~0.5-1.5 each for
  // people. Word-initial slowing is reported but not scored: progressive reveal makes it depend on
  // the typist's speed.
  const holdSkew = skewness(holds);
  const fin = (x: number, d: number): number => (Number.isFinite(x) ? x : d);
  // Only a same-thumb SLOWDOWN counts: one-thumb and index-finger typists (about half of phone users;
  // Azenkot & Zhai 2012) have no alternation benefit, and for them nearby same-side keys are faster.
  const rhythm = fin(skew, 0) + fin(holdSkew, 0) + 2 * Math.max(0, fin(altRatio, 1) - 1);
  c.add('rhythm-structure', rhythm >= cfg.minRhythmScore, `typing: keystroke timing lacks human structure (score ${round(rhythm, 2)}, need ${cfg.minRhythmScore}: interval skew ${round(skew, 2)}, hold skew ${round(holdSkew, 2)}, same-thumb/alternating-thumb x${round(altRatio, 2)}): bot-like`, atLeast(rhythm, cfg.minRhythmScore, SOFT_SCALES.rhythmScore));

  // Halves of the within-word intervals and holds (reported as features; the stationarity check is
  // the change-point scan below).
  const wt: { t: number; d: number }[] = [];
  for (let i = 1; i < n; i++) {
    const a = list[i - 1]!, b = list[i]!;
    if (thumbSide(a.key) && thumbSide(b.key) && wordOf[i] === wordOf[i - 1] && b.down - a.down <= 3000) wt.push({ t: b.down, d: b.down - a.down });
  }
  const mid = (list[0]!.down + list[n - 1]!.down) / 2;
  const w1 = wt.filter((x) => x.t < mid).map((x) => x.d), w2 = wt.filter((x) => x.t >= mid).map((x) => x.d);
  const hs1 = list.filter((s) => s.up !== null && s.down < mid).map((s) => s.up! - s.down), hs2 = list.filter((s) => s.up !== null && s.down >= mid).map((s) => s.up! - s.down);
  const ratio = (p: number[], q: number[]): number => (p.length >= 5 && q.length >= 5 ? Math.max(median(p) / median(q), median(q) / median(p)) : 1);
  const ikiShift = ratio(w1, w2), holdShift = ratio(hs1, hs2);
  // Change-point scan over the typist's key holds, intervals and reading time (consistency.ts).
  const cc = cfg.consistency ?? DEFAULT_CONFIG.typing.consistency!;
  const scan = scanChange(list[0]!.down, list[n - 1]!.down, cc, typingSegmentFeatures(list, wordOf, responses, busy));
  c.add('stationarity', scan.stat <= cc.maxStat, `typing: the typist changes at ${fmtS(scan.cutMs)} (change score ${round(scan.stat, 1)}, one typist stays below ${cc.maxStat}: ${describeChange(scan, TYPING_LABELS)}): two typists spliced`, scanMargin(scan.stat, cc.maxStat));
  // Keyboard dependence (keyboard.ts): timing bots draw intervals that do not depend on the keys.
  const moments = keyMoments(pairs);
  const autocorr = rankAutocorr(pairs.y);
  const acZ = autocorr * Math.sqrt(pairs.y.length - 1);
  c.add('tempo-correlation', !(acZ > cfg.maxIntervalAutocorrZ), `typing: successive key intervals are correlated (rank autocorrelation ${round(autocorr, 2)}, z ${round(acZ, 2)}; a typist's stay below z ${cfg.maxIntervalAutocorrZ}): 1/f timing generator`);
  const kb = profile?.keyboard;
  const kbNeed = kb ? Math.min(cfg.keyboard.maxZ, kb.expectedZ - cfg.keyboard.margin) : NaN;
  const kbZ = kb ? patternZ(moments, kb.pattern) : NaN;
  // Tested only where this person's enrolled typing shows a pattern strong enough to expect it back
  // (kbNeed > 0); for a typist whose timing hardly depends on the keys the check cannot tell them from
  // a timing generator, which `keyboardTested: false` reports.
  if (kbNeed > 0) c.add('keyboard', kbZ >= kbNeed, `typing: key intervals do not follow this person's keyboard pattern (z ${round(kbZ, 2)}, need ${round(kbNeed, 2)}: slower for same-thumb and distant keys by ${round(kb!.pattern[0], 2)}/${round(kb!.pattern[1], 2)} log units when enrolled): timing not produced on a keyboard`);
  const ikiMed = within.length ? median(within) : NaN;
  const holdMed = holds.length ? median(holds) : NaN;
  if (profile) {
    c.add('profile', ikiMed >= profile.ikiMs[0] && ikiMed <= profile.ikiMs[1] && holdMed >= profile.holdMs[0] && holdMed <= profile.holdMs[1],
      `typing: rhythm (median interval ${round(ikiMed, 0)} ms, median hold ${round(holdMed, 0)} ms) outside this person's enrolled ranges (${round(profile.ikiMs[0], 0)}-${round(profile.ikiMs[1], 0)} ms, ${round(profile.holdMs[0], 0)}-${round(profile.holdMs[1], 0)} ms)`,
      Math.min(inLogRange(ikiMed, profile.ikiMs[0], profile.ikiMs[1], SOFT_SCALES.typingLog), inLogRange(holdMed, profile.holdMs[0], profile.holdMs[1], SOFT_SCALES.typingLog)));
  }
  const matched = Math.min(typed.length, expected.length) - wrong.filter((w) => !w.startsWith('extra')).length;
  const features = {
    strokes: n,
    wordsTyped: typed.length,
    wordsRequired: required,
    wordsMatched: matched,
    ikiMedianMs: round(ikiMed, 1),
    holdMedianMs: round(holdMed, 1),
    ikiCv: round(ikiCv, 3),
    holdCv: round(holdCv, 3),
    ikiSkew: round(skew, 3),
    holdSkew: round(holdSkew, 3),
    wordInitialRatio: round(initRatio, 3),
    thumbRatio: round(altRatio, 3),
    rhythmScore: round(rhythm, 3),
    backspaces: list.filter((s) => s.key === 'Backspace').length,
    ikiHalfRatio: round(ikiShift, 3),
    holdHalfRatio: round(holdShift, 3),
    changeScore: round(scan.stat, 2),
    intervalAutocorr: round(autocorr, 3),
    keyMoments: moments.map((v) => round(v, 4)),
    keyboardZ: round(kbZ, 3),
    keyboardTested: kbNeed > 0,
  };
  return c.result(features, required ? Math.min(1, matched / Math.max(1, required)) * Math.min(1, 0.5 + rhythm / 4) : 0, responses);
}

/**
 * Person features of a part of a typing session (for the change-point scan, consistency.ts): mean
 * log key hold (hold) and its spread (holdSd), mean log within-word key interval (iki) and its spread
 * (ikiSd), and the mean time from a word's reveal to its first key (read, ms; at least two words,
 * only where the typist was waiting and the hand was not `busy` with a prompted gesture).
 * Keystroke timing is log-normal, so means of logs are the efficient location estimates.
 */
export function typingSegmentFeatures(list: readonly { down: number; up: number | null; key: string }[], wordOf: readonly number[], responses: readonly StimulusResponse[], busy: readonly [number, number][] = []): SegmentFeatures {
  const holdT: number[] = [], holdV: number[] = [];
  for (let i = 0; i < list.length; i++) {
    const s = list[i]!;
    if (s.up !== null && thumbSide(s.key) && s.up > s.down) { holdT.push(s.down); holdV.push(Math.log(s.up - s.down)); }
  }
  // Within-word log intervals with the session's keyboard pattern removed (keyboard.ts): a part whose
  // words need distant keys is not a slower typist. Pauses inside a word (the hand busy with a gesture,
  // a distraction) are not rhythm: intervals over 3x the median are left out.
  const pairs = keyPairs(list, wordOf);
  const adjusted = geometryAdjusted(pairs);
  const cap = pairs.raw.length ? median(pairs.raw) + Math.log(3) : Infinity;
  const ikiT: number[] = [], ikiV: number[] = [];
  pairs.raw.forEach((v, i) => { if (v <= cap) { ikiT.push(pairs.t[i]!); ikiV.push(adjusted[i]!); } });
  // Reading time only where the typist was waiting for the word (the last key before the reveal was
  // the space after the previous word, and the next key is this word's first letter): otherwise it
  // measures the backlog, not the reader.
  const idle = responses.filter((r) => {
    if (r.onset === null || r.onset < r.revealAt) return false;
    const k = list.findIndex((s) => s.down >= r.revealAt);
    const last = k > 0 ? list[k - 1] : k < 0 ? list[list.length - 1] : undefined;
    // ...and the hand was free (not performing a prompted gesture) between the reveal and the key.
    return (last === undefined || last.key === ' ') && k >= 0 && list[k]!.down === r.onset && !busy.some(([a, b]) => a < r.onset! && b > r.revealAt);
  });
  const stats = (t: number[], v: number[], a: number, b: number): [number, number, number] => {
    let s = 0, s2 = 0, k = 0;
    for (let i = lowerBound(t, a); i < t.length && t[i]! < b; i++) { s += v[i]!; s2 += v[i]! * v[i]!; k++; }
    if (k < 6) return [NaN, NaN, k];
    const m = s / k;
    return [m, Math.sqrt(Math.max(0, s2 / k - m * m) * (k / (k - 1))), k];
  };
  return (a, b) => {
    const [hm, hs, hk] = stats(holdT, holdV, a, b), [im, is, ik] = stats(ikiT, ikiV, a, b);
    const lats = idle.filter((r) => r.revealAt >= a && r.revealAt < b).map((r) => r.onset! - r.revealAt);
    // Each mean and spread with its own standard error (from the part's own spread and count): the
    // config's scales are only the drift of one typist between parts, so a typist whose holds or
    // intervals vary more is not taken for two (consistency.ts, `<name>Se`).
    const se = (sd: number, k: number): number => sd / Math.sqrt(k), seSd = (sd: number, k: number): number => sd / Math.sqrt(2 * (k - 1));
    // Median: reading times are ex-Gaussian (Balota & Spieler 1999); one slow word is the tail of one reader.
    return {
      hold: hm, holdSe: se(hs, hk), holdSd: hs, holdSdSe: seSd(hs, hk),
      iki: im, ikiSe: se(is, ik), ikiSd: is, ikiSdSe: seSd(is, ik),
      read: lats.length >= 2 ? median(lats) : NaN,
    };
  };
}
