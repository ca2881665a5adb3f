/**
 * The regulator's export: an export bundle (export-bundle.ts) completed with everything an offline
 * verifier needs to judge the entries in range, not only to prove them:
 *
 *  - `jwks`: the gateway's public keys, receipt key included, so receipts can be verified;
 *  - `policyVersions`: every policy activated up to the end of the range, from its policy.activated
 *    entry (source = RFC 8785 text of the normalised document, digest = its SHA-256 = policy hash);
 *  - `context`: for a range that does not start at 0, the earlier entries of every action that
 *    appears in range and every earlier policy.activated entry, each with an inclusion proof in the
 *    latest checkpoint's tree, so "was this execution authorised?" is answerable for any range.
 */
import { canonicalJson, sha256Hex } from '../../core/canonical.ts';
import type { Clock } from '../../core/clock.ts';
import { FirewallError } from '../../core/errors.ts';
import { parseCheckpoint } from '../../core/checkpoint/checkpoint.ts';
import { parseSignedNote } from '../../core/checkpoint/note.ts';
import type { ContextEntry, ExportBundle, PolicyVersionRecord } from '../../core/checkpoint/bundle-format.ts';
import { buildExportBundle } from './export-bundle.ts';
import type { TransparencyLog } from '../../gateway/log/transparency-log.ts';

export interface RegulatorExportRequest {
  fromIndex?: number;
  toIndex?: number;
  since?: number;
  until?: number;
}

export interface RegulatorExportOptions {
  jwks: { keys: JsonWebKey[] };
  clock: Clock;
  /** Largest number of entries (range plus context) one export may hold. */
  maxEntries: number;
}

const PAGE = 10_000;
const b64 = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.length).toString('base64');

function tooLarge(n: number, max: number): FirewallError {
  return new FirewallError('EXPORT_RANGE_TOO_LARGE', `the export would hold ${n} entries, more than ${max}: split the range`, {
    status: 413,
    detail: { entries: n, maxEntries: max },
  });
}

/** Every policy.activated entry with index < end, as policy versions. */
export async function policyVersionsUpTo(log: TransparencyLog, end: number): Promise<PolicyVersionRecord[]> {
  const out: PolicyVersionRecord[] = [];
  let after: number | undefined;
  for (;;) {
    const page = await log.query({ type: 'policy.activated', limit: PAGE, ...(after === undefined ? {} : { afterIndex: after }) });
    for (const e of page) {
      if (e.index >= end) return out;
      const { policyHash, name, policy } = e.entry as { policyHash?: unknown; name?: unknown; policy?: unknown };
      if (policy === undefined) continue;
      const source = canonicalJson(policy);
      out.push({
        version: typeof policyHash === 'string' ? policyHash : sha256Hex(source),
        ...(typeof name === 'string' ? { name } : {}),
        digest: sha256Hex(source),
        source,
        ...(e.ts === null ? {} : { activatedAt: e.ts }),
        logIndex: e.index,
      });
    }
    if (page.length < PAGE) return out;
    after = page[page.length - 1]!.index;
  }
}

/** Indexes before `start` that the entries in range depend on. */
async function contextIndexes(log: TransparencyLog, bundle: ExportBundle, policies: PolicyVersionRecord[], max: number): Promise<number[]> {
  const start = bundle.range.start;
  const wanted = new Set<number>();
  for (const p of policies) if (p.logIndex !== undefined && p.logIndex < start) wanted.add(p.logIndex);
  const actions = new Set<string>();
  for (const e of bundle.entries) {
    const id = (JSON.parse(e.entry) as { actionId?: unknown }).actionId;
    if (typeof id === 'string') actions.add(id);
  }
  for (const actionId of actions) {
    let after: number | undefined;
    for (;;) {
      const page = await log.query({ actionId, limit: PAGE, ...(after === undefined ? {} : { afterIndex: after }) });
      for (const e of page) if (e.index < start) wanted.add(e.index);
      if (page.length < PAGE || page[page.length - 1]!.index >= start) break;
      after = page[page.length - 1]!.index;
    }
    if (wanted.size + bundle.entries.length > max) throw tooLarge(wanted.size + bundle.entries.length, max);
  }
  return [...wanted].sort((a, b) => a - b);
}

/** Build the regulator's export for an index range or a time range (docs/regulator.md). */
export async function buildRegulatorExport(log: TransparencyLog, request: RegulatorExportRequest, o: RegulatorExportOptions): Promise<ExportBundle> {
  const byTime = request.since !== undefined || request.until !== undefined;
  if (byTime && (request.fromIndex !== undefined || request.toIndex !== undefined)) {
    throw new FirewallError('EXPORT_RANGE_INVALID', 'give either an index range (fromIndex, toIndex) or a time range (since, until), not both', { status: 400 });
  }
  if (request.fromIndex !== undefined && request.toIndex !== undefined && request.fromIndex > request.toIndex) {
    throw new FirewallError('EXPORT_RANGE_INVALID', 'fromIndex must not exceed toIndex', { status: 400 });
  }
  if (request.since !== undefined && request.until !== undefined && request.since > request.until) {
    throw new FirewallError('EXPORT_RANGE_INVALID', 'since must not exceed until', { status: 400 });
  }
  // Refuse oversized ranges before reading them.
  const size = await log.size();
  const planned = byTime
    ? await log.indexRangeForTime(request.since ?? 0, request.until ?? Number.MAX_SAFE_INTEGER)
    : { start: Math.min(request.fromIndex ?? 0, size), end: Math.min(request.toIndex ?? size, size) };
  if (planned.end - planned.start > o.maxEntries) throw tooLarge(planned.end - planned.start, o.maxEntries);

  const bundle = await buildExportBundle(log, { ...request, jwks: o.jwks, clock: o.clock });
  if (bundle.entries.length > o.maxEntries) throw tooLarge(bundle.entries.length, o.maxEntries);
  const latest = parseCheckpoint(parseSignedNote(bundle.checkpoints[bundle.checkpoints.length - 1]!.note).text);
  bundle.policyVersions = await policyVersionsUpTo(log, bundle.range.end);
  if (bundle.range.start > 0) {
    const context: ContextEntry[] = [];
    for (const index of await contextIndexes(log, bundle, bundle.policyVersions, o.maxEntries)) {
      context.push({ index, entry: (await log.entry(index)).body, inclusion: (await log.inclusionProof(index, latest.size)).hashes.map(b64) });
    }
    bundle.context = context;
  }
  return bundle;
}
