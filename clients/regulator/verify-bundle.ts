/**
 * Offline verification of a transparency-log export bundle (docs/transparency-log.md).
 *
 * Grouped by concern, each concern reporting under its own check ids:
 *   bundle      bundle.format
 *   keys        key.verifier, key.attestation
 *   checkpoints checkpoint.signature, checkpoint.order, checkpoint.consistency, witness.cosignature
 *   tree        tree.range          leaf hashes + left frontier + consistency proof -> latest root
 *   entries     entry.inclusion     each entry hashes to the authenticated leaf at its index
 *               context.inclusion   each context entry (before the range) has a valid inclusion proof
 *   rules       entries.sequence, entries.checkpointed, entries.envelope, the action and policy
 *               rules of action-rules/ (receipts, approvals, cooling, quorum, ...), + pluggable rules
 *   context     jwks.attestation, policy.digest
 *
 * All input is attacker-controlled: every field is shape-checked before use, and a failure in one
 * concern never stops the others from reporting. The bundle's shape is bundle-shape.ts, keys and
 * checkpoints checkpoint-checks.ts, attestation and context attestation-checks.ts; the tree and the
 * entries are here.
 */
import { canonicalJson } from '../../src/core/canonical.ts';
import { HASH_SIZE, leafHash } from '../../src/core/merkle/hash.ts';
import { verifyConsistencyProof, verifyInclusionProof } from '../../src/core/merkle/proof.ts';
import { Frontier } from '../../src/core/merkle/frontier.ts';
import { isUint, popcount } from '../../src/core/merkle/tree-size.ts';
import { decodeBase64Strict, encodeBase64 } from '../../src/core/checkpoint/base64.ts';
import type { ExportBundle } from '../../src/core/checkpoint/bundle-format.ts';
import { loadRootCertificate, type X509Certificate } from './attestation.ts';
import { checkAttestation, checkJwks, checkPolicies } from './attestation-checks.ts';
import { checkCheckpoints, checkOrderAndConsistency, checkVerifierKey, checkWitnesses, type CheckedCheckpoint } from './checkpoint-checks.ts';
import { isObj, readShape, type Obj, type Shaped } from './bundle-shape.ts';
import { errMessage, Reporter, type VerificationReport, type Where } from './report.ts';
import { defaultRules, parseEntryText, type EntryView, type RuleContext, type RuleRun, type VerificationRule } from './rules.ts';
import { domainRules } from './action-rules/index.ts';

export interface VerifyOptions {
  /** The pinned HSM attestation root (PEM text, DER, or a parsed certificate). */
  rootPem: string | Uint8Array | X509Certificate;
  /** Extra rules run after the defaults. */
  rules?: readonly VerificationRule[];
  /** Replace the default rules (sequence, checkpointed, envelope and the action-rules/ set) instead of extending them. */
  replaceDefaultRules?: boolean;
  /** Time (ms) at which certificates must be valid. Default: the last entry's ts, else generatedAt. */
  at?: number;
  /** Expected log origin; default: the bundle's own. */
  origin?: string;
  /** Witness verifier keys (type 0x04); the latest checkpoint must carry `witnessQuorum` cosignatures. */
  witnesses?: readonly string[];
  witnessQuorum?: number;
  /** Findings listed per check (the rest are counted). Default 1000. */
  maxFindingsPerCheck?: number;
}

const CHECKS: [string, string][] = [
  ['bundle.format', 'bundle is a well-formed v1 export'],
  ['key.verifier', 'checkpoint verifier key is a well-formed Ed25519 note key named for the origin'],
  ['key.attestation', 'verifier key is attested by an x5c chain to the pinned root'],
  ['checkpoint.signature', 'every checkpoint is signed by the log key and names the origin'],
  ['checkpoint.order', 'checkpoints ascend strictly by tree size'],
  ['checkpoint.consistency', 'successive checkpoints are consistent (RFC 9162 §2.1.4)'],
  ['tree.range', 'the range reproduces the latest checkpoint root'],
  ['entry.inclusion', 'every entry hashes to the leaf committed at its index'],
  ['context.inclusion', 'every context entry lies before the range and is proven included in the latest checkpoint'],
];

// ---------------------------------------------------------------------------------------------
// tree
// ---------------------------------------------------------------------------------------------

/**
 * Authenticate the range's leaf hashes: fold the left frontier (D[0:start]) and the leaves of
 * [start, end) into the root of D[0:end], then check the consistency proof end -> latest. Returns
 * the leaf hashes (authenticated or not) and whether they were authenticated.
 */
function checkRange(b: ExportBundle, latest: CheckedCheckpoint | null, r: Reporter): { leaves: Buffer | null; authenticated: boolean } {
  const id = 'tree.range';
  const { start, end } = b.range;
  let leaves: Buffer;
  try {
    leaves = decodeBase64Strict(b.proofs.leafHashes, 'proofs.leafHashes', 'BUNDLE_MALFORMED');
  } catch (e) {
    r.fail(id, errMessage(e));
    return { leaves: null, authenticated: false };
  }
  if (leaves.length !== (end - start) * HASH_SIZE) {
    r.fail(id, `proofs.leafHashes holds ${leaves.length / HASH_SIZE} hashes for a range of ${end - start} entries`);
    return { leaves: null, authenticated: false };
  }
  if (!latest) {
    r.fail(id, 'no verified latest checkpoint: inclusion cannot be established');
    return { leaves, authenticated: false };
  }
  if (end > latest.size) {
    r.fail(id, `range end ${end} is beyond the latest checkpoint (size ${latest.size})`);
    return { leaves, authenticated: false };
  }
  try {
    const left = b.proofs.leftFrontier.map((h, i) => decodeBase64Strict(h, `proofs.leftFrontier[${i}]`, 'BUNDLE_MALFORMED'));
    if (left.length !== popcount(start)) {
      r.fail(id, `proofs.leftFrontier has ${left.length} hashes; D[0:${start}] decomposes into ${popcount(start)} subtrees`);
      return { leaves, authenticated: false };
    }
    const f = Frontier.fromHashes(start, left);
    for (let off = 0; off < leaves.length; off += HASH_SIZE) f.append(leaves.subarray(off, off + HASH_SIZE));
    const toLatest = b.proofs.toLatest.map((h, i) => decodeBase64Strict(h, `proofs.toLatest[${i}]`, 'BUNDLE_MALFORMED'));
    verifyConsistencyProof(end, latest.size, f.root(), latest.rootHash, toLatest);
  } catch (e) {
    r.fail(id, `the leaf hashes of [${start}, ${end}) do not reproduce the root of checkpoints[${latest.position}] (size ${latest.size}): ${errMessage(e)}`);
    return { leaves, authenticated: false };
  }
  r.note(id, `[${start}, ${end}) proven under size ${latest.size}`);
  return { leaves, authenticated: true };
}

// ---------------------------------------------------------------------------------------------
// entries
// ---------------------------------------------------------------------------------------------

function checkEntries(
  shaped: Shaped,
  tree: { leaves: Buffer | null; authenticated: boolean },
  runs: { id: string; run: RuleRun }[],
  r: Reporter,
): void {
  const { start, end } = shaped.bundle.range;
  const { leaves, authenticated } = tree;
  const suffix = authenticated ? '' : ' (leaf hashes unauthenticated: see tree.range)';
  const entryRuns = runs.filter((x) => x.run.entry);
  for (let position = 0; position < shaped.entries.length; position++) {
    const raw = shaped.entries[position];
    if (!isObj(raw) || !isUint(raw['index']) || typeof raw['entry'] !== 'string') {
      r.fail('bundle.format', `entries[${position}] must be {index: non-negative integer, entry: string}`, { position });
      continue;
    }
    const index = raw['index'] as number;
    const text = raw['entry'] as string;
    let included = false;
    if (index >= start && index < end) {
      if (leaves) {
        const committed = leaves.subarray((index - start) * HASH_SIZE, (index - start + 1) * HASH_SIZE);
        if (leafHash(text).equals(committed)) included = authenticated;
        else r.fail('entry.inclusion', `entry ${index} (position ${position}): content does not hash to the leaf committed at index ${index} (altered entry)${suffix}`, { index, position });
      }
    } else {
      r.fail('entry.inclusion', `entry at position ${position} claims index ${index}, outside the proven range [${start}, ${end})`, { index, position });
    }
    if (entryRuns.length === 0) continue;
    const view: EntryView = { position, index, text, ...parseEntryText(text, canonicalJson), included };
    for (const x of entryRuns) {
      try {
        (x.run.entry as (e: EntryView) => void)(view);
      } catch (e) {
        r.fail(x.id, `rule crashed on entry ${index}: ${errMessage(e)}`, { index, position });
      }
    }
  }
  if (!leaves) r.skip('entry.inclusion', 'no usable leaf hashes');
}

/**
 * Context entries: earlier entries the range depends on, each proven by its own RFC 9162 inclusion
 * proof in the latest checkpoint's tree. Returns the views to hand to the rules (in index order).
 */
function checkContext(b: ExportBundle, latest: CheckedCheckpoint | null, r: Reporter): EntryView[] {
  const id = 'context.inclusion';
  const ctx = b.context;
  if (ctx === undefined) {
    if (b.range.start > 0) r.warn(id, `the range starts at ${b.range.start} and the bundle carries no context: actions whose history begins before it are checked only partially`);
    else r.skip(id, 'no context in bundle (none needed: the range starts at 0)');
    return [];
  }
  const views: EntryView[] = [];
  let prev = -1;
  for (let position = 0; position < ctx.length; position++) {
    const raw: unknown = ctx[position];
    if (!isObj(raw) || !isUint(raw['index']) || typeof raw['entry'] !== 'string' || !Array.isArray(raw['inclusion']) || !raw['inclusion'].every((h) => typeof h === 'string')) {
      r.fail('bundle.format', `context[${position}] must be {index: non-negative integer, entry: string, inclusion: string[]}`);
      continue;
    }
    const index = raw['index'] as number;
    const text = raw['entry'] as string;
    const where = { index };
    if (index >= b.range.start) r.fail(id, `context[${position}] (entry ${index}) is not before the range start ${b.range.start}`, where);
    if (index <= prev) r.fail(id, `context[${position}] (entry ${index}) does not follow entry ${prev} (context out of order or duplicated)`, where);
    prev = Math.max(prev, index);
    let included = false;
    if (!latest) {
      r.fail(id, `context entry ${index}: no verified latest checkpoint to prove it against`, where);
    } else {
      try {
        const hashes = (raw['inclusion'] as string[]).map((h, i) => decodeBase64Strict(h, `context[${position}].inclusion[${i}]`, 'MERKLE_PROOF_MALFORMED'));
        verifyInclusionProof(index, latest.size, leafHash(text), hashes, latest.rootHash);
        included = index < b.range.start;
      } catch (e) {
        r.fail(id, `context entry ${index} (context[${position}]) is not included in checkpoints[${latest.position}] (size ${latest.size}): ${errMessage(e)}`, where);
      }
    }
    views.push({ position, index, text, ...parseEntryText(text, canonicalJson), included, context: true });
  }
  return views;
}

// ---------------------------------------------------------------------------------------------

function attestationTime(shaped: Shaped, options: VerifyOptions): Date {
  if (options.at !== undefined) return new Date(options.at);
  const last = shaped.entries[shaped.entries.length - 1];
  if (isObj(last) && typeof last['entry'] === 'string') {
    try {
      const ts = (JSON.parse(last['entry']) as Obj)['ts'];
      if (isUint(ts)) return new Date(ts);
    } catch {
      // fall through
    }
  }
  return isUint(shaped.bundle.generatedAt) ? new Date(shaped.bundle.generatedAt) : new Date();
}

/**
 * Verify an export bundle (parsed JSON, or its text as a string or UTF-8 bytes). Never throws on bad
 * input: it reports. Asynchronous because certificate chains are checked with WebCrypto; the same
 * code runs in Node and in a browser (no node: module anywhere in its imports).
 */
export async function verifyBundle(input: unknown, options: VerifyOptions): Promise<VerificationReport> {
  const r = new Reporter(options.maxFindingsPerCheck ?? 1000);
  for (const [id, title] of CHECKS) r.register(id, title);
  const rules = [...(options.replaceDefaultRules ? [] : [...defaultRules, ...domainRules]), ...(options.rules ?? [])];
  for (const rule of rules) r.register(rule.id, rule.title);

  let root: X509Certificate | null = null;
  try {
    root = loadRootCertificate(options.rootPem);
  } catch (e) {
    r.fail('key.attestation', errMessage(e));
  }

  const shaped = readShape(input, r);
  if (!shaped) {
    for (const [id] of CHECKS) if (id !== 'bundle.format' && id !== 'key.attestation') r.skip(id, 'bundle unreadable');
    for (const rule of rules) r.skip(rule.id, 'bundle unreadable');
    return r.build();
  }
  const b = shaped.bundle;
  const origin = options.origin ?? b.origin;
  r.meta.format = b.format;
  r.meta.origin = b.origin;
  r.meta.range = { ...b.range };
  r.meta.entryCount = shaped.entries.length;
  if (options.origin !== undefined && b.origin !== options.origin) r.fail('bundle.format', `bundle is for origin ${JSON.stringify(b.origin)}, expected ${JSON.stringify(options.origin)}`);

  // keys
  const vk = checkVerifierKey(b, origin, r);
  const at = attestationTime(shaped, options);
  await checkAttestation(b, vk?.key ?? null, root, at, r);

  // checkpoints
  const cps = checkCheckpoints(b, origin, vk?.verifier ?? null, r);
  checkOrderAndConsistency(b, cps, r);
  const lastPos = b.checkpoints.length - 1;
  const latest = cps[lastPos] ?? null;
  if (!latest) r.fail('checkpoint.signature', `the latest checkpoint (checkpoints[${lastPos}]) does not verify: nothing in the bundle is proven`, { checkpoint: lastPos });
  else r.meta.latestCheckpoint = { size: latest.size, rootHash: encodeBase64(latest.rootHash) };
  checkWitnesses(latest, options.witnesses ?? [], options.witnessQuorum, r);

  // tree + entries + rules
  const tree = checkRange(b, latest, r);
  const verified = cps.filter((c): c is CheckedCheckpoint => c !== null);
  const runs = rules.map((rule) => {
    const ctx: RuleContext = {
      bundle: b,
      range: b.range,
      latest,
      checkpoints: verified,
      fail: (message: string, where?: Where) => r.fail(rule.id, message, where),
      warn: (message: string, where?: Where) => r.warn(rule.id, message, where),
    };
    try {
      return { id: rule.id, run: rule.begin(ctx) };
    } catch (e) {
      r.fail(rule.id, `rule failed to start: ${errMessage(e)}`);
      return { id: rule.id, run: {} as RuleRun };
    }
  });
  const contextViews = checkContext(b, latest, r);
  for (const view of contextViews) {
    for (const x of runs) {
      if (!x.run.context) continue;
      try {
        x.run.context(view);
      } catch (e) {
        r.fail(x.id, `rule crashed on context entry ${view.index}: ${errMessage(e)}`, { index: view.index });
      }
    }
  }
  checkEntries(shaped, tree, runs, r);
  for (const x of runs) {
    try {
      x.run.end?.();
    } catch (e) {
      r.fail(x.id, `rule failed: ${errMessage(e)}`);
    }
  }

  // context
  await checkJwks(b, root, at, r);
  checkPolicies(b, r);
  return r.build();
}

export { formatReport } from './report.ts';
export type { VerificationReport } from './report.ts';
export type { VerificationRule, RuleContext, RuleRun, EntryView } from './rules.ts';
