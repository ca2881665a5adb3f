/**
 * One approval as recorded in action.authorised `approvals[]`:
 *   { who, device, role: 'authorizer' | 'comparator' | 'witness', at, liveness?, logIndex?, group?, onBehalfOf? }
 * A witness approval (institutional fallback) names the person it attests in `onBehalfOf`.
 * Parsed strictly; a malformed approval counts for nothing and is reported by action.approvals.
 */
import { isObj, str, uint, type Obj } from './fields.ts';

export const APPROVAL_ROLES = ['authorizer', 'comparator', 'witness'] as const;
export type ApprovalRole = (typeof APPROVAL_ROLES)[number];

export interface Approval {
  who: string;
  device: string;
  role: ApprovalRole;
  /** As recorded (NumericDate seconds; milliseconds accepted, see atMs). */
  at: number;
  liveness?: Obj;
  logIndex?: number;
  group?: string;
  /** Witness approvals: the person whose authorisation the witness attested in person. */
  onBehalfOf?: string;
}

/** `at` in milliseconds: values below 10^11 are NumericDate seconds (10^11 s is the year 5138). */
export function atMs(at: number): number {
  return at < 1e11 ? at * 1000 : at;
}

export function parseApproval(v: unknown): Approval | string {
  if (!isObj(v)) return 'is not an object';
  const who = str(v, 'who');
  if (who === undefined) return "has no 'who'";
  const device = str(v, 'device');
  if (device === undefined) return `(${who}) has no 'device'`;
  const role = v['role'];
  if (!(APPROVAL_ROLES as readonly unknown[]).includes(role)) return `(${who}) has no valid 'role' (authorizer, comparator or witness)`;
  const at = uint(v, 'at');
  if (at === undefined) return `(${who}) has no valid 'at'`;
  const out: Approval = { who, device, role: role as ApprovalRole, at };
  if (v['liveness'] !== undefined) {
    if (!isObj(v['liveness']) || Object.keys(v['liveness']).length === 0) return `(${who}) has a 'liveness' that is not a non-empty object`;
    out.liveness = v['liveness'];
  }
  if (v['logIndex'] !== undefined) {
    const i = uint(v, 'logIndex');
    if (i === undefined) return `(${who}) has a malformed 'logIndex'`;
    out.logIndex = i;
  }
  if (v['group'] !== undefined) {
    const g = str(v, 'group');
    if (g === undefined) return `(${who}) has a malformed 'group'`;
    out.group = g;
  }
  if (v['onBehalfOf'] !== undefined) {
    const b = str(v, 'onBehalfOf');
    if (b === undefined) return `(${who}) has a malformed 'onBehalfOf'`;
    out.onBehalfOf = b;
  }
  return out;
}

/** The well-formed approvals of an action.authorised entry (malformed ones are dropped). */
export function approvalsOf(authorised: Obj): Approval[] {
  const list = authorised['approvals'];
  if (!Array.isArray(list)) return [];
  return list.map(parseApproval).filter((a): a is Approval => typeof a !== 'string');
}

/**
 * Does a liveness summary show a live person with a modality the policy accepted? A summary that
 * names its modality (`modality`, or `modalities[]`) must name at least one accepted one; one that
 * reports `accepted`, `passed`, `ok` or `live` false fails.
 */
export function livenessProblem(liveness: Obj | undefined, accepted: readonly string[] | undefined): string | null {
  if (liveness === undefined) return 'no liveness summary';
  for (const k of ['accepted', 'passed', 'ok', 'live']) if (liveness[k] === false) return `liveness summary says ${k}: false`;
  const named: string[] = [];
  if (typeof liveness['modality'] === 'string') named.push(liveness['modality']);
  if (Array.isArray(liveness['modalities'])) for (const m of liveness['modalities']) if (typeof m === 'string') named.push(m);
  if (accepted !== undefined && named.length > 0 && !named.some((m) => accepted.includes(m))) {
    return `liveness modality ${named.join(', ')} is not one the policy accepted (${accepted.join(', ')})`;
  }
  return null;
}
