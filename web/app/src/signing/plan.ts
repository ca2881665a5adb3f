import type { Modality } from '../../../../src/core/policy/modality.ts';

/**
 * What a challenge asks this device to capture (docs/protocol.md §2 `roles`, docs/policy.md
 * §Signature roles), and what this browser can capture of it. The gateway planned the challenge from
 * the action's requirements and the modalities the person declared: enough primaries captured
 * together, or the fallback the policy allowed them (their primaries plus supporting modalities, or
 * their primaries for longer; the witness path is a witness-mode challenge, not a session). The
 * device cannot change the plan, only meet it: a hello short of it is refused (ROLES_NOT_MET), so the
 * app ticks what meets it, refuses to start with less, and says plainly when this browser cannot.
 */

/** The challenge's `roles` (docs/schemas/v1/challenge.json). */
export interface ChallengeRoles {
  mode: 'primaries' | 'supporting' | 'longer' | 'witness';
  primary: Modality[];
  minPrimary: number;
  supporting: Modality[];
  minSupporting: number;
}

export interface CapturePlan {
  /** Ticked at first: enough of what the plan asks that this browser has, in the preferred order. */
  preselect: Modality[];
  /** What the plan asks, in words (undefined when the challenge has no roles: any one way suffices). */
  needs?: string;
  /** Why this browser cannot meet the plan (undefined when it can). */
  unmet?: string;
}

/** Short names (guide.ts has the long ones), for sentences that list what a request needs. */
export const MODALITY_NAMES_SHORT: Record<Modality, string> = {
  motion: 'movement',
  typing: 'typing',
  voice: 'voice',
  hrv: 'heart rhythm',
  gaze: 'eye movement',
  eda: 'skin conductance',
};

/** Preferred order: the sensors a phone's browser has first (motion, typing), then the others. */
const PREFERENCE: Modality[] = ['motion', 'typing', 'voice', 'hrv', 'gaze', 'eda'];

const byPreference = (ms: readonly Modality[]): Modality[] => [...ms].sort((a, b) => PREFERENCE.indexOf(a) - PREFERENCE.indexOf(b));

function list(ms: readonly Modality[], joiner: 'and' | 'or'): string {
  const names = ms.map((m) => MODALITY_NAMES_SHORT[m]);
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} ${joiner} ${names.at(-1)}`;
}

const count = (n: number): string => ['none', 'one', 'two', 'three', 'four', 'five', 'six'][n] ?? String(n);

/** The plan in words, for the person reading the signing screen. */
export function describeRoles(r: ChallengeRoles, sustainedMs: number): string {
  const seconds = Math.round(sustainedMs / 1000);
  const primaries = r.minPrimary >= r.primary.length ? list(r.primary, 'and') : `${count(r.minPrimary)} of ${list(r.primary, 'or')}`;
  if (r.mode === 'supporting') {
    const support = r.minSupporting >= r.supporting.length ? list(r.supporting, 'and') : `${count(r.minSupporting)} of ${list(r.supporting, 'or')}`;
    return `This request needs ${primaries} together with ${support}, at the same time, for about ${seconds} seconds.`;
  }
  if (r.mode === 'longer') return `This request needs ${primaries} for about ${seconds} seconds: longer than usual, because you sign with fewer ways than the policy asks for.`;
  return `This request needs ${primaries}, at the same time, for about ${seconds} seconds.`;
}

/**
 * The capture plan for a challenge on this browser. `usable(m)`: whether this browser can capture
 * m. Without roles (a policy without them) any one offered modality suffices.
 */
export function capturePlan(c: { modalities: Modality[]; roles?: ChallengeRoles; sustainedMs: number }, usable: (m: Modality) => boolean): CapturePlan {
  const r = c.roles;
  if (r === undefined) {
    const ok = c.modalities.filter(usable);
    return { preselect: ok.includes('motion') ? ['motion'] : ok.slice(0, 1) };
  }
  const needs = describeRoles(r, c.sustainedMs);
  const primaries = byPreference(r.primary.filter(usable));
  const supporting = byPreference(r.supporting.filter(usable));
  const preselect = [...primaries.slice(0, r.minPrimary), ...supporting.slice(0, r.minSupporting)];
  const missing = [...(primaries.length < r.minPrimary ? r.primary.filter((m) => !usable(m)) : []), ...(supporting.length < r.minSupporting ? r.supporting.filter((m) => !usable(m)) : [])];
  if (missing.length === 0) return { preselect, needs };
  return {
    preselect,
    needs,
    unmet: `This browser cannot capture ${list(missing, 'or')}, so it cannot sign this request. Sign from a device that can (heart rhythm needs Chrome with Bluetooth, on Android or a computer), or ask an administrator to change the ways of signing you declared.`,
  };
}

/** Whether the ticked modalities meet the plan (the gateway checks the same at the hello). */
export function meetsRoles(r: ChallengeRoles | undefined, chosen: readonly Modality[]): boolean {
  if (r === undefined) return chosen.length > 0;
  const p = chosen.filter((m) => r.primary.includes(m)).length;
  const s = chosen.filter((m) => r.supporting.includes(m)).length;
  return chosen.every((m) => r.primary.includes(m) || r.supporting.includes(m)) && p >= r.minPrimary && s >= r.minSupporting;
}
