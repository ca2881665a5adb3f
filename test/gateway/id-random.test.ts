import { describe, expect, it } from 'vitest';
import { idRandomBytes } from '../../src/gateway/id-random.ts';

describe('idRandomBytes', () => {
  it('gives 16 fresh bytes each call, across pool refills', () => {
    const seen = new Set<string>();
    // 1,000 calls span four refills of the 256-id pool.
    for (let i = 0; i < 1000; i++) {
      const b = idRandomBytes();
      expect(b.length).toBe(16);
      seen.add(Buffer.from(b).toString('hex'));
    }
    expect(seen.size).toBe(1000);
  });
});
