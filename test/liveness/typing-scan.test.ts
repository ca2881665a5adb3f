import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/core/liveness/config.ts';
import { scanChange } from '../../src/core/liveness/consistency.ts';
import { typingSegmentFeatures, type Stroke } from '../../src/core/liveness/typing.ts';
import { Rng } from '../../clients/device/rng.ts';

/**
 * The typing one-typist-throughout scan (issue #15 item 3: estimator biases). One typist, constant
 * throughout, must not look like two because the words of one part need distant keys (a Fitts-law
 * typist's intervals follow key distance) or because their holds simply vary a lot.
 */
const ROWS = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm'];
const pos = (ch: string): [number, number] => {
  const y = ROWS.findIndex((r) => r.includes(ch));
  return [ROWS[y]!.indexOf(ch) + [0, 0.5, 1.5][y]!, y];
};

/** One session: `words` typed by a Fitts-law typist (one finger), hold log-SD `holdSigma`. */
function session(words: string[], holdSigma: number, seed: string): { list: Stroke[]; wordOf: number[] } {
  const r = new Rng(seed);
  const list: Stroke[] = [], wordOf: number[] = [];
  let t = 500;
  words.forEach((w, i) => {
    t = Math.max(t, i * 3000 + 600);
    let prev: [number, number] | null = null;
    for (const ch of w + ' ') {
      const p = ch === ' ' ? ([4.5, 3] as [number, number]) : pos(ch);
      if (prev) t += 90 + 110 * Math.log2(1 + Math.hypot(p[0] - prev[0], p[1] - prev[1])) + r.exponential(40);
      const hold = 95 * Math.exp(holdSigma * r.normal());
      list.push({ down: Math.round(t), up: Math.round(t + hold), key: ch });
      wordOf.push(ch === ' ' ? -1 : i);
      prev = p;
    }
  });
  return { list, wordOf };
}

const stat = (s: { list: Stroke[]; wordOf: number[] }): number => {
  const cc = DEFAULT_CONFIG.typing.consistency!;
  return scanChange(s.list[0]!.down, s.list[s.list.length - 1]!.down, cc, typingSegmentFeatures(s.list, s.wordOf, [])).stat;
};

describe('typing scan: one typist stays one', () => {
  it('words needing distant keys in one half and adjacent keys in the other are not a change of typist', () => {
    // First five strings jump across the keyboard, the last five stay on neighbouring keys.
    const far = ['qpqp', 'zpzp', 'qmqm', 'pzpz', 'mqmq'], near = ['asas', 'dfdf', 'jkjk', 'erer', 'uiui'];
    const scores = [0, 1, 2, 3].map((k) => stat(session([...far, ...near], 0.2, 'far-near/' + k)));
    expect(Math.max(...scores)).toBeLessThan(DEFAULT_CONFIG.typing.consistency!.maxStat);
  });

  it('a typist whose key holds vary widely (log-SD 0.45) is not a change of typist', () => {
    const words = ['bread', 'chair', 'cloud', 'dream', 'field', 'glass', 'grape', 'green', 'horse', 'house'];
    const over = [0, 1, 2, 3, 4, 5].filter((k) => stat(session(words, 0.45, 'holds/' + k)) > DEFAULT_CONFIG.typing.consistency!.maxStat).length;
    expect(over).toBeLessThanOrEqual(1);
  });
});
