import { sortModalities, type Modality } from './modality.ts';
import type { OnePrimaryFallback, SignatureSpec } from './types.ts';

/**
 * Modality roles of a signature (docs/policy.md §Signature roles). A policy's `roles` say which
 * accepted modalities are primary (can carry a signature) and how many primaries one session must
 * capture together on one device; the other accepted modalities are supporting (their weak response
 * does not reject, docs/liveness.md §Acceptance). A person who can produce fewer primaries is given
 * what the policy allows instead, in this order: those primaries plus supporting modalities to make up
 * the count, those primaries for proportionally longer, the institutional witness. Never a silent
 * downgrade: the plan is part of the challenge, the gateway checks the session against it, the log
 * records it, and the offline verifier checks the approval against the policy's roles.
 */

/** What one challenge asks of one person. */
export interface RolePlan {
  /** 'primaries' when the person meets min_primary, else the fallback the policy allowed. */
  mode: 'primaries' | OnePrimaryFallback;
  /** The primary modalities this person may use, and how many of them the session must contain. */
  primary: Modality[];
  minPrimary: number;
  /** The supporting modalities this person may use, and how many the session must contain. */
  supporting: Modality[];
  minSupporting: number;
  /** Sustained duration the session must reach, ms ('longer': the policy's x min_primary / primaries). */
  sustainedMs: number;
}

/** Legacy (no roles in the policy): every accepted modality is primary and any one suffices. */
function legacy(spec: SignatureSpec, allowed: readonly Modality[]): RolePlan {
  return { mode: 'primaries', primary: [...allowed], minPrimary: 1, supporting: [], minSupporting: 0, sustainedMs: spec.sustainedMs };
}

/**
 * The plan for a person who declared `declared`, or null when the policy gives them no way to sign
 * (no accepted modality and no witness, or too few primaries and no allowed fallback).
 */
export function planRoles(spec: SignatureSpec, declared: readonly Modality[]): RolePlan | null {
  const allowed = sortModalities(spec.modalities.filter((m) => declared.includes(m)));
  const roles = spec.roles;
  if (roles === undefined) return allowed.length > 0 ? legacy(spec, allowed) : { ...legacy(spec, []), mode: 'witness' };
  const primary = allowed.filter((m) => roles.primary.includes(m));
  const supporting = allowed.filter((m) => !roles.primary.includes(m));
  const base = { primary, supporting, sustainedMs: spec.sustainedMs };
  if (primary.length >= roles.minPrimary) return { ...base, mode: 'primaries', minPrimary: roles.minPrimary, minSupporting: 0 };
  for (const f of roles.onePrimary) {
    if (f === 'supporting' && primary.length >= 1 && primary.length + supporting.length >= roles.minPrimary) {
      return { ...base, mode: f, minPrimary: primary.length, minSupporting: roles.minPrimary - primary.length };
    }
    if (f === 'longer' && primary.length >= 1) {
      return { ...base, mode: f, minPrimary: primary.length, minSupporting: 0, sustainedMs: Math.ceil((spec.sustainedMs * roles.minPrimary) / primary.length) };
    }
    if (f === 'witness') return { ...base, mode: f, primary: [], supporting: [], minPrimary: 0, minSupporting: 0 };
  }
  return null;
}

/**
 * Whether a session's modalities and sustained duration satisfy a plan; the reason when not. The
 * gateway checks the device's hello with it.
 */
export function sessionMeetsPlan(plan: RolePlan, modalities: readonly Modality[], sustainedMs: number): string | null {
  const p = modalities.filter((m) => plan.primary.includes(m)).length;
  const s = modalities.filter((m) => plan.supporting.includes(m)).length;
  const outside = modalities.filter((m) => !plan.primary.includes(m) && !plan.supporting.includes(m));
  if (outside.length > 0) return `not allowed for this challenge: ${outside.join(', ')}`;
  if (p < plan.minPrimary) return `this challenge needs ${plan.minPrimary} primary modalit${plan.minPrimary === 1 ? 'y' : 'ies'} of ${plan.primary.join(', ')} captured together (got ${p})`;
  if (s < plan.minSupporting) return `this challenge needs ${plan.minSupporting} supporting modalit${plan.minSupporting === 1 ? 'y' : 'ies'} of ${plan.supporting.join(', ')} with the primary (got ${s})`;
  if (sustainedMs < plan.sustainedMs) return `this challenge needs ${plan.sustainedMs} ms of signal (got ${sustainedMs})`;
  return null;
}

/**
 * Offline re-check (clients/regulator): whether an approval that used `modalities` for `sustainedMs`
 * satisfies the policy's roles in some way the policy allows, without knowing what the person
 * declared. Null when it does (or the policy has no roles), else the reason.
 */
export function approvalMeetsRoles(spec: Pick<SignatureSpec, 'sustainedMs' | 'roles'>, modalities: readonly Modality[], sustainedMs: number | undefined): string | null {
  const roles = spec.roles;
  if (roles === undefined) return null;
  const p = modalities.filter((m) => roles.primary.includes(m)).length;
  const s = modalities.length - p;
  if (p >= roles.minPrimary) return null;
  if (roles.onePrimary.includes('supporting') && p >= 1 && p + s >= roles.minPrimary) return null;
  if (roles.onePrimary.includes('longer') && p >= 1 && sustainedMs !== undefined && sustainedMs >= Math.ceil((spec.sustainedMs * roles.minPrimary) / p)) return null;
  return `${p} primary modalit${p === 1 ? 'y' : 'ies'} (${modalities.join(', ') || 'none'}${sustainedMs === undefined ? '' : `, ${sustainedMs} ms`}) where the policy asks for ${roles.minPrimary} of ${roles.primary.join(', ')} captured together${roles.onePrimary.length ? ` or allows ${roles.onePrimary.join('/')}` : ''}`;
}
