import { generateKeyPairSync, sign } from 'node:crypto';
import { canonicalJson } from '../../../src/core/canonical.ts';
import type { ExportBundle } from '../../../src/core/checkpoint/bundle-format.ts';
import type { VerificationReport } from '../../../clients/regulator/verify-bundle.ts';

export const clone = (b: ExportBundle): ExportBundle => structuredClone(b);

export function entryAt(b: ExportBundle, index: number): Record<string, unknown> {
  const e = b.entries.find((x) => x.index === index);
  if (e === undefined) throw new Error(`no entry ${index} in bundle`);
  return JSON.parse(e.entry) as Record<string, unknown>;
}

/** Index of the first entry of `type` for the action (or of any action when omitted). */
export function indexOf(b: ExportBundle, type: string, actionId?: string): number {
  for (const e of b.entries) {
    const v = JSON.parse(e.entry) as Record<string, unknown>;
    if (v['type'] === type && (actionId === undefined || v['actionId'] === actionId)) return e.index;
  }
  throw new Error(`no ${type} for ${actionId ?? 'any action'}`);
}

/** Rewrite one entry (kept canonical, so only what changed is detected). */
export function editEntry(b: ExportBundle, index: number, edit: (v: Record<string, unknown>) => void): ExportBundle {
  const c = clone(b);
  const e = c.entries.find((x) => x.index === index)!;
  const v = JSON.parse(e.entry) as Record<string, unknown>;
  edit(v);
  e.entry = canonicalJson(v);
  return c;
}

export function removeEntry(b: ExportBundle, index: number): ExportBundle {
  const c = clone(b);
  c.entries = c.entries.filter((e) => e.index !== index);
  return c;
}

/** A compact JWS with the given header and claims, signed by a fresh Ed25519 key nobody published. */
export function forgeJws(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
}

export function failed(r: VerificationReport): string[] {
  return r.checks.filter((c) => c.status === 'fail').map((c) => c.id);
}

/** Error findings of a check: "index: message". */
export function errorsOf(r: VerificationReport, check: string): { index: number | undefined; message: string }[] {
  return r.findings.filter((f) => f.check === check && f.severity === 'error').map((f) => ({ index: f.index, message: f.message }));
}

export function warningsOf(r: VerificationReport, check: string): string[] {
  return r.findings.filter((f) => f.check === check && f.severity === 'warning').map((f) => f.message);
}

/** The cryptographic and structural checks: they pass when the log itself holds the violation. */
export const CRYPTO_CHECKS = [
  'bundle.format',
  'key.verifier',
  'key.attestation',
  'checkpoint.signature',
  'checkpoint.order',
  'checkpoint.consistency',
  'tree.range',
  'entry.inclusion',
  'context.inclusion',
  'entries.sequence',
  'entries.checkpointed',
  'entries.envelope',
  'jwks.attestation',
  'policy.digest',
];
