import type { GateResult, GateValue } from './branch-card.ts';

/**
 * String form of a gate value: the result word, then optionally a separator (":", "-", "–", "—"
 * or just whitespace) and a free-text reason. Upper case only: "pass" is refused rather than
 * guessed at, because a gate result is the one field whose misreading matters.
 */
export const GATE_STRING_PATTERN = '^(PASS|FAIL|UNKNOWN)(?:(?:\\s*[:\\-\\u2013\\u2014]\\s*|\\s+)([\\s\\S]*))?$';
const GATE_STRING_RE = new RegExp(GATE_STRING_PATTERN);

export interface ParsedGate {
  result: GateResult;
  reason?: string;
}

/**
 * Reads either form. Anything unreadable becomes UNKNOWN: a gate the firewall cannot read is by
 * definition one for which there is insufficient evidence (seed §III.1), never a PASS.
 */
export function parseGateValue(value: GateValue | undefined): ParsedGate {
  if (typeof value === 'string') {
    const m = GATE_STRING_RE.exec(value.trim());
    if (m === null) return { result: 'UNKNOWN', reason: `unreadable gate value '${value}'` };
    const reason = m[2]?.trim();
    return reason ? { result: m[1] as GateResult, reason } : { result: m[1] as GateResult };
  }
  if (value !== null && typeof value === 'object' && (value.result === 'PASS' || value.result === 'FAIL' || value.result === 'UNKNOWN')) {
    const reason = typeof value.reason === 'string' && value.reason.trim() !== '' ? value.reason.trim() : undefined;
    return reason === undefined ? { result: value.result } : { result: value.result, reason };
  }
  return { result: 'UNKNOWN', reason: value === undefined ? 'gate not reported' : 'unreadable gate value' };
}
