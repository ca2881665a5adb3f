import { AgentClientError } from './agent-client-error.ts';

/** The gateway's Action resource (docs/agent-sdk.md), parsed defensively. */

export const ACTION_STATUSES = [
  'received',
  'blocked',
  'cooling',
  'awaiting_signature',
  'awaiting_quorum',
  'authorised',
  'executing',
  'outcome_unknown',
  'executed',
  'failed',
  'vetoed',
  'expired',
  'refused',
] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** Statuses an action never leaves. */
export const TERMINAL_STATUSES: readonly ActionStatus[] = ['blocked', 'executed', 'failed', 'vetoed', 'expired', 'refused'];

export function isTerminal(status: ActionStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/**
 * Settled: nothing more happens without a person. A terminal status, or `outcome_unknown` with no
 * resend scheduled (`resendAt` absent): the request may or may not have executed, the gateway has
 * stopped resending it and an admin will reconcile it. Not a failure: do not submit it again.
 */
export function isSettled(action: Pick<Action, 'status' | 'resendAt'>): boolean {
  return isTerminal(action.status) || (action.status === 'outcome_unknown' && action.resendAt === undefined);
}

export type ActionTier = 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
const TIERS: readonly string[] = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

/** What an agent asks the gateway to do (POST /v1/actions body). */
export interface ActionRequest {
  actuator: string;
  operation: string;
  target: string;
  parameters?: Record<string, unknown>;
  /** Decimal amount in major units, with ISO 4217 `currency`. */
  amount?: number;
  currency?: string;
  reversibility: 'fully_reversible' | 'partially_reversible' | 'irreversible';
  branchCard?: unknown;
}

/** An upstream (actuator) response, body decoded. */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  /** The body as UTF-8 text. */
  text: string;
  /** The body parsed, when its content type is JSON and it parses. */
  json?: unknown;
}

export interface Action {
  id: string;
  status: ActionStatus;
  tier: ActionTier;
  decision: string;
  /** Canonical action digest (hex SHA-256). */
  digest: string;
  descriptor: Record<string, unknown>;
  reasons: string[];
  rule: string | null;
  policyHash: string;
  createdAt: string;
  notBefore?: string;
  expiresAt?: string;
  links: { self: string; events: string };
  /** The actuator's response, once executed (or definitely refused: status `failed`). */
  result?: UpstreamResponse;
  /** Set for failed and unknown outcomes: why (docs/api.md §Outcomes). */
  error?: string;
  /** `outcome_unknown` only: when the next resend is due; absent once the resends ran out. */
  resendAt?: string;
  /** Delivery attempts so far (`outcome_unknown` only). */
  attempts?: number;
  /** An admin's decision on an unknown outcome. */
  reconciliation?: { outcome: 'executed' | 'failed'; by: string; reason: string; at: string; logIndex: number };
}

function bad(what: string): never {
  throw new AgentClientError('INVALID_RESPONSE', `gateway sent an invalid Action resource: ${what}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string') bad(`'${name}' must be a string`);
  return v;
}

function optStr(v: unknown, name: string): string | undefined {
  return v === undefined || v === null ? undefined : str(v, name);
}

export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const media = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return media === 'application/json' || media.endsWith('+json');
}

/** Build an UpstreamResponse from raw parts. */
export function upstreamResponse(status: number, headers: Record<string, string>, body: Uint8Array): UpstreamResponse {
  const text = new TextDecoder().decode(body);
  const out: UpstreamResponse = { status, headers, body, text };
  const contentType = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
  if (isJsonMediaType(contentType) && text.length > 0) {
    try {
      out.json = JSON.parse(text);
    } catch {
      // Left undefined: the actuator said JSON but sent something else; `text` has it.
    }
  }
  return out;
}

function parseResult(v: unknown): UpstreamResponse {
  if (!isRecord(v)) bad("'result' must be an object");
  if (typeof v.status !== 'number' || !Number.isInteger(v.status) || v.status < 100 || v.status > 599) bad("'result.status' must be an HTTP status");
  const headers: Record<string, string> = {};
  if (v.headers !== undefined) {
    if (!isRecord(v.headers)) bad("'result.headers' must be an object");
    for (const [k, h] of Object.entries(v.headers)) {
      if (typeof h === 'string') headers[k.toLowerCase()] = h;
      else if (Array.isArray(h) && h.every((x) => typeof x === 'string')) headers[k.toLowerCase()] = h.join(', ');
      else bad(`'result.headers.${k}' must be a string`);
    }
  }
  const b64 = v.body === undefined || v.body === null ? '' : str(v.body, 'result.body');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) bad("'result.body' must be base64");
  const res = upstreamResponse(v.status, headers, new Uint8Array(Buffer.from(b64, 'base64')));
  if (typeof v.bodyText === 'string') res.text = v.bodyText;
  return res;
}

export function parseAction(v: unknown): Action {
  if (!isRecord(v)) bad('not a JSON object');
  const id = str(v.id, 'id');
  if (id.length === 0 || id.length > 200) bad("'id' must be 1-200 characters");
  const status = str(v.status, 'status');
  if (!(ACTION_STATUSES as readonly string[]).includes(status)) bad(`unknown status '${status}'`);
  const tier = str(v.tier, 'tier');
  if (!TIERS.includes(tier)) bad(`unknown tier '${tier}'`);
  if (!Array.isArray(v.reasons) || !v.reasons.every((r) => typeof r === 'string')) bad("'reasons' must be an array of strings");
  if (!isRecord(v.links)) bad("'links' must be an object");
  if (v.descriptor !== undefined && !isRecord(v.descriptor)) bad("'descriptor' must be an object");
  const action: Action = {
    id,
    status: status as ActionStatus,
    tier: tier as ActionTier,
    decision: str(v.decision, 'decision'),
    digest: str(v.digest, 'digest'),
    descriptor: (v.descriptor as Record<string, unknown> | undefined) ?? {},
    reasons: v.reasons as string[],
    rule: v.rule === null || v.rule === undefined ? null : str(v.rule, 'rule'),
    policyHash: str(v.policyHash, 'policyHash'),
    createdAt: str(v.createdAt, 'createdAt'),
    links: { self: str(v.links.self, 'links.self'), events: str(v.links.events, 'links.events') },
  };
  const notBefore = optStr(v.notBefore, 'notBefore');
  if (notBefore !== undefined) action.notBefore = notBefore;
  const expiresAt = optStr(v.expiresAt, 'expiresAt');
  if (expiresAt !== undefined) action.expiresAt = expiresAt;
  if (v.result !== undefined && v.result !== null) action.result = parseResult(v.result);
  const error = optStr(v.error, 'error');
  if (error !== undefined) action.error = error;
  const resendAt = optStr(v.resendAt, 'resendAt');
  if (resendAt !== undefined) action.resendAt = resendAt;
  if (v.attempts !== undefined) {
    if (typeof v.attempts !== 'number' || !Number.isInteger(v.attempts) || v.attempts < 0) bad("'attempts' must be a non-negative integer");
    action.attempts = v.attempts;
  }
  if (v.reconciliation !== undefined && v.reconciliation !== null) {
    const r = v.reconciliation;
    if (!isRecord(r) || (r.outcome !== 'executed' && r.outcome !== 'failed') || typeof r.logIndex !== 'number') bad("'reconciliation' is malformed");
    action.reconciliation = { outcome: r.outcome, by: str(r.by, 'reconciliation.by'), reason: str(r.reason, 'reconciliation.reason'), at: str(r.at, 'reconciliation.at'), logIndex: r.logIndex };
  }
  return action;
}
