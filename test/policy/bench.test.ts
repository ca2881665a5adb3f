import { describe, expect, it } from 'vitest';
import { benchClassify } from '../../bench/classify.ts';

describe('classification cost', () => {
  it('stays within 20 µs per action with a 1,000-rule policy', () => {
    const r = benchClassify();
    expect(r.classify_us_1000_rules).toBeGreaterThan(0);
    expect(r.classify_us_1000_rules).toBeLessThanOrEqual(20);
  });
});
