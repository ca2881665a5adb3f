/**
 * bundle.format: the shape of an export bundle (docs/transparency-log.md) checked before any field
 * is used. All input is attacker-controlled.
 */
import { isUint } from '../../src/core/merkle/tree-size.ts';
import { EXPORT_BUNDLE_FORMAT, type ExportBundle } from '../../src/core/checkpoint/bundle-format.ts';
import type { Reporter } from './report.ts';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface Shaped {
  bundle: ExportBundle;
  /** Entries array as given (elements shape-checked in the entry loop). */
  entries: unknown[];
}

// ---------------------------------------------------------------------------------------------
// bundle
// ---------------------------------------------------------------------------------------------

/** Bundle text (string or UTF-8 bytes) or parsed JSON; null when it cannot be read at all. */
export function readShape(input: unknown, r: Reporter): Shaped | null {
  const id = 'bundle.format';
  let b: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    try {
      b = JSON.parse(typeof input === 'string' ? input : new TextDecoder().decode(input));
    } catch (e) {
      r.fail(id, `bundle is not valid JSON (${(e as Error).message})`);
      return null;
    }
  }
  if (!isObj(b)) {
    r.fail(id, 'bundle is not a JSON object');
    return null;
  }
  let fatal = false;
  const need = (cond: boolean, message: string): void => {
    if (!cond) {
      r.fail(id, message);
      fatal = true;
    }
  };
  need(b['format'] === EXPORT_BUNDLE_FORMAT, `format must be ${JSON.stringify(EXPORT_BUNDLE_FORMAT)}`);
  need(typeof b['origin'] === 'string' && (b['origin'] as string).length > 0, 'origin must be a non-empty string');
  const range = b['range'];
  need(isObj(range) && isUint(range['start']) && isUint(range['end']) && (range['start'] as number) <= (range['end'] as number), 'range must be {start, end} with 0 <= start <= end');
  need(Array.isArray(b['entries']), 'entries must be an array');
  const cps = b['checkpoints'];
  need(Array.isArray(cps) && cps.length > 0 && cps.every((c) => isObj(c) && typeof c['note'] === 'string'), 'checkpoints must be a non-empty array of {note}');
  const proofs = b['proofs'];
  const strArr = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');
  need(
    isObj(proofs) &&
      typeof proofs['leafHashes'] === 'string' &&
      strArr(proofs['leftFrontier']) &&
      strArr(proofs['toLatest']) &&
      Array.isArray(proofs['checkpointConsistency']) &&
      (proofs['checkpointConsistency'] as unknown[]).every((p) => isObj(p) && isUint(p['from']) && isUint(p['to']) && strArr(p['hashes'])),
    'proofs must hold leafHashes, leftFrontier, toLatest and checkpointConsistency[{from, to, hashes}]',
  );
  const vk = b['verifierKey'];
  need(isObj(vk) && typeof vk['vkey'] === 'string' && strArr(vk['x5c']), 'verifierKey must be {vkey, x5c[]}');
  // Context sections are optional in shape; malformed ones are reported by their own checks.
  if (b['jwks'] !== undefined && !(isObj(b['jwks']) && Array.isArray((b['jwks'] as Obj)['keys']))) r.fail(id, 'jwks must be {keys: []}');
  if (b['policyVersions'] !== undefined && !Array.isArray(b['policyVersions'])) r.fail(id, 'policyVersions must be an array');
  if (b['context'] !== undefined && !Array.isArray(b['context'])) r.fail(id, 'context must be an array');
  if (fatal) return null;
  const bundle = b as unknown as ExportBundle;
  if (!isObj(bundle.jwks) || !Array.isArray(bundle.jwks.keys)) (bundle as { jwks: unknown }).jwks = { keys: [] };
  if (!Array.isArray(bundle.policyVersions)) (bundle as { policyVersions: unknown }).policyVersions = [];
  if (bundle.context !== undefined && !Array.isArray(bundle.context)) delete (bundle as { context?: unknown }).context;
  return { bundle, entries: b['entries'] as unknown[] };
}
