import { describe, expect, it } from 'vitest';
import { policyCheck } from '../../src/cli/policy-check.ts';
import { parsePolicy } from '../../src/core/policy/parse.ts';
import { BASE_POLICY, writeTemp } from './helpers.ts';

async function run(argv: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await policyCheck(argv, (s) => lines.push(s));
  return { code, text: lines.join('\n') };
}

const EXAMPLE = new URL('../../examples/policy.yaml', import.meta.url).pathname;

describe('policy:check', () => {
  it('prints the hash and classifies built-in samples for every tier (exit 0)', async () => {
    const { code, text } = await run([EXAMPLE]);
    expect(code).toBe(0);
    expect(text).toMatch(/policy 'example-bank' OK/);
    expect(text).toMatch(/policy hash sha256:[0-9a-f]{64}/);
    for (const tier of ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']) expect(text).toContain(`→ ${tier} (`);
    expect(text).toMatch(/decided by default:unmatched/);
    expect(text).toMatch(/requires quorum: 2 of platform/);
  });

  it('prints every error as file:line:column field message and exits 1', async () => {
    const file = writeTemp('cli-bad.yaml', BASE_POLICY.replace('unmatched_tier: HIGH', 'unmatched_tier: LOW').replace('min: 2', 'min: 7'));
    const { code, text } = await run([file]);
    expect(code).toBe(1);
    // schema errors stop before semantic checks, so only the LOW one is reported
    const line = BASE_POLICY.split('\n').findIndex((l) => l.includes('unmatched_tier')) + 1;
    expect(text).toContain(`${file}:${line}:19 defaults.unmatched_tier must be one of MEDIUM, HIGH, CRITICAL`);
    expect(text).toMatch(/1 error\(s\); policy NOT loaded/);
  });

  it('classifies a --sample file of descriptors and submissions', async () => {
    const samples = writeTemp(
      'samples.json',
      JSON.stringify([
        { agent: 'a', actuator: 'payments', operation: 'transfer', target: 'p', amount: 50, currency: 'EUR', reversibility: 'partially_reversible' },
        { agent: 'a', actuator: 'payments', operation: 'transfer', target: 'p', amount: 50, currency: 'EUR', reversibility: 'irreversible' },
      ]),
    );
    const { code, text } = await run([EXAMPLE, '--sample', samples]);
    expect(code).toBe(0);
    expect(text).toMatch(/samples.json\[0\].*\n\s+→ MEDIUM \(decided by small-transfer/);
    expect(text).toMatch(/samples.json\[1\].*\n\s+→ HIGH \(decided by floor:irreversible/);
  });

  it('--json output carries the same hash as the parser', async () => {
    const { code, text } = await run([EXAMPLE, '--json']);
    expect(code).toBe(0);
    const out = JSON.parse(text);
    const { readFileSync } = await import('node:fs');
    expect(out.policyHash).toBe(parsePolicy(readFileSync(EXAMPLE, 'utf8'), 'x').hash);
    expect(out.samples.length).toBeGreaterThan(4);
  });

  it('usage errors exit 2; a bad sample file exits 1', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run([EXAMPLE, '--bogus'])).code).toBe(2);
    expect((await run(['--help'])).code).toBe(0);
    const bad = writeTemp('bad-samples.json', '{"not": "an array"}');
    expect((await run([EXAMPLE, '--sample', bad])).code).toBe(1);
  });
});
