import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { registerPrincipal } from '../../src/gateway/register-principal.ts';
import type { Harness } from '../helpers/harness.ts';

/** The four criteria of seed §VI.5, as a relaxation must carry them. */
export const EVIDENCE = {
  actionClass: 'payments/transfer below 1,000 EUR',
  transparency: { tier: 'T3', statement: 'The agent reasoning for each transfer is reconstructable by the bank auditor.', evidence: 'https://audit.example/reports/t3-2026-01' },
  calibration: { statement: '14 months of Stage 8 calibration: no gate miss in 52,000 small transfers.', evidence: 'doc:calibration-2026-01' },
  institutionalMonitoring: { statement: 'Bank audit monitors every transfer and can recall it before settlement.', evidence: 'doc:monitoring-mou-7' },
  irreversibility: { category: 2, statement: 'Transfers are recallable until the nightly settlement run.', evidence: 'doc:settlement-rules' },
};

export const live = { modality: 'hrv', modalities: ['hrv'], score: 0.98 };

/** small-transfer MEDIUM (cooling 1s in the harness) → a longer cooling: a tightening. */
export const tighten = (yaml: string) => replaceOnce(yaml, 'cooling: 1s\n    reason: Small payments', 'cooling: 2s\n    reason: Small payments');
/** small-transfer MEDIUM → LOW: a relaxation. */
export const relax = (yaml: string) => {
  const out = yaml.replace(/tier: MEDIUM\n    cooling: \d+s\n    reason: Small payments/, 'tier: LOW\n    reason: Small payments');
  if (out === yaml) throw new Error('test fixture: small-transfer rule not found in the policy');
  return out;
};

export function replaceOnce(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`test fixture: '${from}' not found in the policy`);
  return text.replace(from, to);
}

export type Who = { id: string; key: KeyObject };

/** Registers the people of examples/policy.yaml (and a few more) with fresh keys. */
export async function registerPeople(h: Harness): Promise<Record<string, Who>> {
  const people: [string, string[], string?][] = [
    ['bob', ['authorizer']],
    ['carol', ['authorizer']],
    ['dave', ['authorizer']],
    ['erin', ['comparator']],
    ['root', ['admin']],
    ['rita', ['regulator']],
  ];
  const out: Record<string, Who> = {};
  for (const [id, roles] of people) {
    const k = generateKeyPairSync('ed25519');
    await registerPrincipal(h.gw.ctx.store, { id, roles, publicJwk: k.publicKey.export({ format: 'jwk' }) }, Date.now());
    out[id] = { id, key: k.privateKey };
  }
  return out;
}

export async function problem(res: Response): Promise<{ code: string; status: number; detail: string; errors?: { field: string; message: string; line?: number }[] }> {
  return (await res.json()) as never;
}
