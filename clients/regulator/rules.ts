/**
 * Rule checks over the entry sequence. A rule sees every entry of the bundle in bundle order (after
 * the cryptographic checks have established which entries are committed by the latest checkpoint)
 * and reports findings against its own check id. Rules are created fresh for each verification run.
 *
 * Domain rules (receipts, approvals, quorum) plug in through `VerifyOptions.rules`.
 */
import type { ExportBundle } from '../../src/core/checkpoint/bundle-format.ts';
import type { Where } from './report.ts';

export interface EntryView {
  /** Position in bundle.entries (in bundle.context for context entries). */
  position: number;
  /** True for an entry of bundle.context (before the range, proven by its own inclusion proof). */
  context?: boolean;
  /** The entry's claimed log index (validated as a non-negative integer). */
  index: number;
  /** Exact leaf text. */
  text: string;
  /** The parsed entry when it is a JSON object, else null. */
  value: Record<string, unknown> | null;
  /** Why the text is not a JSON object (null when it is). */
  parseError: string | null;
  /** The text is exactly the RFC 8785 form of `value`. */
  canonical: boolean;
  /** The entry's leaf hash equals the leaf the latest checkpoint commits to at `index` (context: its inclusion proof verifies). */
  included: boolean;
}

export interface CheckpointView {
  position: number;
  size: number;
  rootHash: Buffer;
}

export interface RuleContext {
  readonly bundle: ExportBundle;
  readonly range: { start: number; end: number };
  /** The latest checkpoint, if its signature verified. */
  readonly latest: CheckpointView | null;
  /** Checkpoints whose signatures verified, in bundle order. */
  readonly checkpoints: readonly CheckpointView[];
  fail(message: string, where?: Where): void;
  warn(message: string, where?: Where): void;
}

export interface RuleRun {
  /** Context entries (before the range) in ascending index order, before any `entry` call. */
  context?(e: EntryView): void;
  entry?(e: EntryView): void;
  end?(): void;
}

export interface VerificationRule {
  /** Check id in the report, e.g. `receipts.signature`. */
  readonly id: string;
  readonly title: string;
  begin(ctx: RuleContext): RuleRun;
}

function describeRun(a: number, b: number): string {
  return a === b ? `entry ${a} is missing` : `entries ${a}..${b} are missing (${b - a + 1} entries)`;
}

/** Indexes are unique, in order, and cover the declared range exactly. */
export const sequenceRule: VerificationRule = {
  id: 'entries.sequence',
  title: 'entry indexes are contiguous, unique, ordered and cover the range',
  begin(ctx) {
    const { start, end } = ctx.range;
    const seen = new Uint8Array(Math.max(0, end - start));
    let maxSoFar = -1;
    return {
      entry(e) {
        const where = { index: e.index, position: e.position };
        if (e.index < start || e.index >= end) {
          ctx.fail(`entry at position ${e.position} claims index ${e.index}, outside the declared range [${start}, ${end}) (inserted entry)`, where);
        } else if (seen[e.index - start]) {
          ctx.fail(`entry ${e.index} appears more than once (again at position ${e.position}: inserted or duplicated entry)`, where);
        } else {
          seen[e.index - start] = 1;
          if (e.index < maxSoFar) {
            ctx.fail(`entry ${e.index} at position ${e.position} comes after entry ${maxSoFar} (entries reordered)`, where);
          }
        }
        if (e.index > maxSoFar) maxSoFar = e.index;
      },
      end() {
        let runStart = -1;
        for (let i = 0; i <= seen.length; i++) {
          const missing = i < seen.length && seen[i] === 0;
          if (missing && runStart < 0) runStart = i;
          if (!missing && runStart >= 0) {
            const a = start + runStart;
            const b = start + i - 1;
            const tail = i === seen.length ? ' (bundle truncated)' : ' (entry removed)';
            ctx.fail(`${describeRun(a, b)}${tail}`, { index: a });
            runStart = -1;
          }
        }
      },
    };
  },
};

/** Every entry is accounted for by the latest signed checkpoint. */
export const checkpointedRule: VerificationRule = {
  id: 'entries.checkpointed',
  title: 'no entry lies beyond the latest checkpoint',
  begin(ctx) {
    const latest = ctx.latest;
    if (latest && ctx.range.end > latest.size) {
      ctx.fail(`declared range ends at ${ctx.range.end}, beyond the latest checkpoint (size ${latest.size})`);
    }
    return {
      entry(e) {
        if (!latest) return;
        if (e.index >= latest.size) {
          ctx.fail(`entry ${e.index} is beyond the latest checkpoint (size ${latest.size}): no signed checkpoint accounts for it`, {
            index: e.index,
            position: e.position,
          });
        }
      },
      end() {
        if (!latest) ctx.fail('there is no verified latest checkpoint to account for the entries');
      },
    };
  },
};

/** Entries are canonical JSON objects carrying the envelope fields `v` and `type`. */
export const envelopeRule: VerificationRule = {
  id: 'entries.envelope',
  title: 'entries are RFC 8785 canonical JSON envelopes with v and type',
  begin(ctx) {
    return {
      entry(e) {
        const where = { index: e.index, position: e.position };
        if (e.value === null) {
          ctx.fail(`entry ${e.index} is not a JSON object: ${e.parseError}`, where);
          return;
        }
        if (!e.canonical) ctx.fail(`entry ${e.index} is not in RFC 8785 canonical form`, where);
        const { v, type, ts } = e.value;
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) ctx.fail(`entry ${e.index} has no positive integer "v"`, where);
        if (typeof type !== 'string' || type.length === 0) ctx.fail(`entry ${e.index} has no non-empty string "type"`, where);
        if (ts !== undefined && (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0)) ctx.fail(`entry ${e.index} has a malformed "ts"`, where);
      },
    };
  },
};

export const defaultRules: readonly VerificationRule[] = [sequenceRule, checkpointedRule, envelopeRule];

function keysSorted(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return true;
  if (Array.isArray(v)) return v.every(keysSorted);
  let prev: string | null = null;
  for (const k of Object.keys(v)) {
    // RFC 8785 orders by UTF-16 code units, which is JavaScript's default string order.
    if (prev !== null && !(prev < k)) return false;
    prev = k;
    if (!keysSorted((v as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/**
 * Parse entry text and decide whether it is exactly its RFC 8785 form. Fast path: JSON.stringify of
 * the parsed value reproduces the text byte for byte and every object's keys are sorted; otherwise
 * fall back to the full canonicaliser.
 */
export function parseEntryText(text: string, canonicalJson: (v: unknown) => string): Pick<EntryView, 'value' | 'parseError' | 'canonical'> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { value: null, parseError: `invalid JSON (${(e as Error).message})`, canonical: false };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { value: null, parseError: 'JSON value is not an object', canonical: false };
  }
  let canonical = JSON.stringify(parsed) === text && keysSorted(parsed);
  if (!canonical) {
    try {
      canonical = canonicalJson(parsed) === text;
    } catch {
      canonical = false;
    }
  }
  return { value: parsed as Record<string, unknown>, parseError: null, canonical };
}
