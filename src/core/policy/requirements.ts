import { FirewallError } from '../errors.ts';
import type { Tier } from '../tier.ts';
import type { PolicyDocument, PolicyRule, QuorumRequirement, QuorumSpec, Requirements, SignatureSpec } from './types.ts';

/**
 * What the decided tier demands: the STRICTEST combination of the defaults and every matching rule
 * AT THAT TIER (rules at lower tiers were outranked and contribute nothing). Defaults are a floor a
 * rule can tighten but never loosen. Per field, "strict" means:
 *   cooling            longest        more time for a veto
 *   sustained          longest        more biological entropy to forge
 *   modalities         intersection   every rule's restriction holds
 *   roles: primary     intersection   fewer modalities can carry a signature
 *   roles: min_primary largest        more signals captured together
 *   roles: one_primary intersection   fewer ways around the primaries
 *   max_attempts       fewest         fewer guesses
 *   signature window   LONGEST        see below
 *   quorum clauses     union per group, larger min
 *   distinct orgs      any rule asking for it
 *   quorum window      LONGEST        as for the signature window
 *   comparators        all of them (per group: larger min; biological if any rule says so)
 * A window is the time humans are given, not a barrier to the agent: the challenge is single-use
 * and the sustained entropy is what resists forgery, so a shorter window adds no assurance but does
 * push people to hurry, the very thing the firewall exists to prevent (seed §VI.4, temporal parity).
 */

export interface CombinedRequirements {
  requirements: Requirements;
  /** Set when the combination is unsatisfiable (no common modality). */
  conflict?: string;
}

export function combineSignature(base: SignatureSpec, rules: readonly PolicyRule[]): SignatureSpec {
  let { windowMs, sustainedMs, maxAttempts } = base;
  let modalities = base.modalities;
  let roles = base.roles === undefined ? undefined : { ...base.roles, primary: [...base.roles.primary], onePrimary: [...base.roles.onePrimary] };
  for (const r of rules) {
    const s = r.signature;
    if (s === undefined) continue;
    if (s.roles !== undefined) {
      const x = s.roles;
      roles = roles === undefined
        ? { ...x, primary: [...x.primary], onePrimary: [...x.onePrimary] }
        : { primary: roles.primary.filter((m) => x.primary.includes(m)), minPrimary: Math.max(roles.minPrimary, x.minPrimary), onePrimary: roles.onePrimary.filter((f) => x.onePrimary.includes(f)) };
    }
    if (s.windowMs !== undefined && s.windowMs > windowMs) windowMs = s.windowMs;
    if (s.sustainedMs !== undefined && s.sustainedMs > sustainedMs) sustainedMs = s.sustainedMs;
    if (s.maxAttempts !== undefined && s.maxAttempts < maxAttempts) maxAttempts = s.maxAttempts;
    if (s.modalities !== undefined) {
      const allowed = s.modalities;
      modalities = modalities.filter((m) => allowed.includes(m));
    }
  }
  return { windowMs, sustainedMs, modalities: [...modalities], maxAttempts, ...(roles === undefined ? {} : { roles }) };
}

export function combineQuorum(doc: PolicyDocument, specs: readonly QuorumSpec[]): QuorumRequirement {
  const clauses = new Map<string, number>();
  const comparators = new Map<string, { min: number; biological: boolean }>();
  let distinctOrganisations = false;
  let windowMs = 0;
  // Allowing witnesses is the weaker setting: it holds only if every quorum combined allows it.
  const allowWitness = specs.length > 0 && specs.every((q) => q.allowWitness === true);
  for (const q of specs) {
    for (const c of q.allOf) clauses.set(c.group, Math.max(clauses.get(c.group) ?? 0, c.min));
    const prev = comparators.get(q.comparator.group);
    comparators.set(q.comparator.group, {
      min: Math.max(prev?.min ?? 0, q.comparator.min),
      biological: (prev?.biological ?? false) || q.comparator.biological,
    });
    distinctOrganisations ||= q.distinctOrganisations;
    windowMs = Math.max(windowMs, q.windowMs);
  }
  const members = (g: string): string[] => [...(doc.groups[g] ?? [])];
  const byName = <V>(m: Map<string, V>): [string, V][] => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const out: QuorumRequirement = {
    allOf: byName(clauses).map(([group, min]) => ({ group, min, members: members(group) })),
    distinctOrganisations,
    windowMs,
    comparators: byName(comparators).map(([group, c]) => ({ group, min: c.min, biological: c.biological, members: members(group) })),
  };
  if (allowWitness) out.allowWitness = true;
  if (distinctOrganisations) {
    const organisationOf: Record<string, string> = {};
    for (const [org, people] of Object.entries(doc.organisations)) {
      for (const p of people) organisationOf[p] = org;
    }
    const involved = new Set([...out.allOf, ...out.comparators].flatMap((c) => c.members));
    out.organisationOf = Object.fromEntries(Object.entries(organisationOf).filter(([p]) => involved.has(p)).sort(([a], [b]) => (a < b ? -1 : 1)));
  }
  return out;
}

export function combineRequirements(doc: PolicyDocument, tier: Tier, atTier: readonly PolicyRule[]): CombinedRequirements {
  switch (tier) {
    case 'LOW':
      return { requirements: {} };
    case 'MEDIUM': {
      let coolingMs = doc.defaults.coolingMs;
      for (const r of atTier) if (r.coolingMs !== undefined && r.coolingMs > coolingMs) coolingMs = r.coolingMs;
      return { requirements: { coolingMs } };
    }
    case 'HIGH':
    case 'CRITICAL': {
      const signature = combineSignature(doc.defaults.signature, atTier);
      const requirements: Requirements = { signature };
      if (tier === 'CRITICAL') {
        const specs = [...(doc.defaults.quorum ? [doc.defaults.quorum] : []), ...atTier.flatMap((r) => (r.quorum ? [r.quorum] : []))];
        if (specs.length === 0) {
          // Load-time checks make this unreachable; refuse rather than return CRITICAL without a quorum.
          throw new FirewallError('POLICY_INCONSISTENT', 'CRITICAL tier reached with no quorum defined', { status: 500 });
        }
        requirements.quorum = combineQuorum(doc, specs);
      }
      if (signature.modalities.length === 0) {
        const ids = atTier.filter((r) => r.signature?.modalities !== undefined).map((r) => r.id);
        return { requirements, conflict: `matching ${tier} rules ${ids.join(', ')} accept no common signature modality` };
      }
      return { requirements };
    }
  }
}
