import { formatDuration } from '../policy/duration.ts';
import type { Requirements } from '../policy/types.ts';
import { weakenedQuorum } from './quorum-order.ts';

/**
 * At the SAME tier, the ways `next` asks less than `old`, field by field, in the strictness
 * directions of docs/policy.md ("Requirements: the strictest combination"):
 *
 *   cooling            longer is stricter
 *   sustained          longer is stricter
 *   max_attempts       fewer is stricter
 *   modalities         a subset is stricter (accepting a new modality is weaker)
 *   signature window   LONGER is stricter (a window is time given to people, see docs/policy.md)
 *   quorum             see quorum-order.ts
 * A requirement present in `old` and absent in `next` is weaker. Empty list: not weaker.
 */
export function weakenedRequirements(old: Requirements, next: Requirements): string[] {
  const out: string[] = [];
  if (old.coolingMs !== undefined) {
    if (next.coolingMs === undefined) out.push('cooling dropped');
    else if (next.coolingMs < old.coolingMs) out.push(`cooling shortened from ${formatDuration(old.coolingMs)} to ${formatDuration(next.coolingMs)}`);
  }
  if (old.signature !== undefined) {
    const o = old.signature;
    const n = next.signature;
    if (n === undefined) out.push('signature dropped');
    else {
      if (n.sustainedMs < o.sustainedMs) out.push(`sustained entropy shortened from ${formatDuration(o.sustainedMs)} to ${formatDuration(n.sustainedMs)}`);
      if (n.maxAttempts > o.maxAttempts) out.push(`max_attempts raised from ${o.maxAttempts} to ${n.maxAttempts}`);
      const added = n.modalities.filter((m) => !o.modalities.includes(m));
      if (added.length > 0) out.push(`modalities ${added.join(', ')} newly accepted`);
      if (n.windowMs < o.windowMs) out.push(`signature window shortened from ${formatDuration(o.windowMs)} to ${formatDuration(n.windowMs)}`);
      // Modality roles: none at all means any one accepted modality suffices, the weakest setting.
      if (o.roles !== undefined) {
        if (n.roles === undefined) out.push('signature roles dropped (any one modality would suffice)');
        else {
          const primary = n.roles.primary.filter((m) => !o.roles!.primary.includes(m));
          if (primary.length > 0) out.push(`modalities ${primary.join(', ')} newly primary`);
          if (n.roles.minPrimary < o.roles.minPrimary) out.push(`primary modalities needed lowered from ${o.roles.minPrimary} to ${n.roles.minPrimary}`);
          const fallback = n.roles.onePrimary.filter((f) => !o.roles!.onePrimary.includes(f));
          if (fallback.length > 0) out.push(`fallback ${fallback.join(', ')} newly allowed to people with fewer primaries`);
        }
      }
    }
  }
  if (old.quorum !== undefined) {
    if (next.quorum === undefined) out.push('quorum dropped');
    else out.push(...weakenedQuorum(old.quorum, next.quorum));
  }
  return out;
}
