import { afterEach, describe, expect, it, vi } from 'vitest';
import { freePort, portRange } from './free-port.ts';

describe('freePort', () => {
  const pool = process.env['VITEST_POOL_ID'];
  const offset = process.env['FREE_PORT_SLICE_OFFSET'];
  afterEach(() => {
    vi.restoreAllMocks();
    if (pool === undefined) delete process.env['VITEST_POOL_ID'];
    else process.env['VITEST_POOL_ID'] = pool;
    if (offset === undefined) delete process.env['FREE_PORT_SLICE_OFFSET'];
    else process.env['FREE_PORT_SLICE_OFFSET'] = offset;
  });

  it('gives each vitest worker a slice of its own below the ephemeral range, so parallel files never pick the same port', () => {
    const slices = [1, 2, 3].map((id) => {
      process.env['VITEST_POOL_ID'] = String(id);
      return portRange();
    });
    // Linux (this suite's machine): the kernel's ephemeral range starts above 12,000.
    for (const s of slices) {
      expect(s).toBeDefined();
      expect(s!.hi - s!.lo).toBeGreaterThan(1000);
    }
    for (let i = 1; i < slices.length; i++) expect(slices[i]!.lo).toBeGreaterThan(slices[i - 1]!.hi);
    // A process outside vitest (a benchmark beside a test run) gets a slice no worker of this suite uses.
    delete process.env['VITEST_POOL_ID'];
    const outside = portRange()!;
    expect(outside.hi - outside.lo).toBeGreaterThan(1000);
    for (const s of slices) expect(outside.lo > s!.hi || outside.hi < s!.lo).toBe(true);
  });

  it('hands out ports from its worker\'s slice, never the same one twice', async () => {
    const range = portRange()!;
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(new Set(ports).size).toBe(20);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(range.lo);
      expect(p).toBeLessThanOrEqual(range.hi);
    }
  });

  it('never hands out a port that fetch refuses as a "bad port" (10080 lies in the first worker\'s slice)', async () => {
    process.env['VITEST_POOL_ID'] = '1';
    delete process.env['FREE_PORT_SLICE_OFFSET'];
    const range = portRange()!;
    expect(range.lo).toBeLessThanOrEqual(10080);
    expect(range.hi).toBeGreaterThanOrEqual(10080);
    // The first draw lands on 10080; later draws are random as usual.
    const real = Math.random;
    let first = true;
    vi.spyOn(Math, 'random').mockImplementation(() => {
      if (!first) return real();
      first = false;
      return (10080 - range.lo + 0.5) / (range.hi - range.lo + 1);
    });
    const port = await freePort();
    expect(first).toBe(false);
    expect(port).not.toBe(10080);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
  });
});
