/** Consequentiality tiers (seed §VI.3), ordered: a higher index needs more human involvement. */
export const TIERS = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Tier = (typeof TIERS)[number];

export function tierRank(t: Tier): number {
  return TIERS.indexOf(t);
}

export function maxTier(a: Tier, b: Tier): Tier {
  return tierRank(a) >= tierRank(b) ? a : b;
}

export function isTier(v: unknown): v is Tier {
  return typeof v === 'string' && (TIERS as readonly string[]).includes(v);
}
