import type { PolicyActivationRow, PolicyProposal, PolicyVersionRow } from './ports/policy-versions.ts';
import type { ActionRecord } from './action-record.ts';

/** The resources of docs/governance.md. Times as ISO 8601; nothing secret is in any of them. */

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? undefined : new Date(ms).toISOString());

/**
 * A relaxation's status follows its action: `awaiting_quorum` until the quorum is met, then
 * `applied` (or `superseded`/`failed`); `expired` or `vetoed` when the action ended that way.
 */
export function proposalStatus(p: PolicyProposal, action: ActionRecord | undefined): string {
  if (p.status !== 'awaiting_quorum' || action === undefined) return p.status;
  if (action.status === 'expired' || action.status === 'vetoed' || action.status === 'failed') return action.status;
  if (action.status === 'authorised' || action.status === 'executing') return 'applying';
  return 'awaiting_quorum';
}

export function proposalView(p: PolicyProposal, action?: ActionRecord, quorum?: unknown): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: p.id,
    status: proposalStatus(p, action),
    kind: p.kind,
    proposer: p.proposer,
    createdAt: iso(p.createdAt),
    baseHash: p.baseHash,
    hash: p.hash,
    name: p.name,
    findings: p.findings,
    omittedFindings: p.omittedFindings,
    cellsExamined: p.cellsExamined,
    diff: p.diff,
    links: { self: `/v1/policies/proposals/${p.id}`, version: `/v1/policies/versions/${p.hash}`, base: `/v1/policies/versions/${p.baseHash}` },
  };
  if (p.note !== undefined) view['note'] = p.note;
  if (p.relaxationEvidence !== undefined) {
    view['relaxationEvidence'] = p.relaxationEvidence;
    view['evidenceSha256'] = p.evidenceSha256;
  }
  if (p.quorum !== undefined) view['quorum'] = p.quorum;
  if (p.appliedAt !== undefined) view['appliedAt'] = iso(p.appliedAt);
  if (p.activation !== undefined) view['activation'] = p.activation;
  if (p.reason !== undefined) view['reason'] = p.reason;
  if (p.actionId !== undefined) {
    (view['links'] as Record<string, string>)['action'] = `/v1/actions/${p.actionId}`;
    if (action !== undefined) {
      view['action'] = {
        id: action.id,
        status: action.status,
        digest: action.digest,
        ...(action.status === 'awaiting_quorum' && action.dueAt !== null ? { expiresAt: iso(action.dueAt) } : {}),
        approvals: action.approvals,
        ...(quorum === undefined ? {} : { quorum }),
      };
    }
  }
  return view;
}

export function versionView(v: PolicyVersionRow, full: boolean): Record<string, unknown> {
  return {
    hash: v.hash,
    name: v.name,
    status: v.status,
    proposedBy: v.proposedBy,
    proposerKind: v.proposerKind,
    proposedAt: iso(v.proposedAt),
    ...(v.activatedAt === null ? {} : { activatedAt: iso(v.activatedAt) }),
    ...(full ? { document: v.document, source: v.source } : {}),
    links: { self: `/v1/policies/versions/${v.hash}` },
  };
}

export function activeView(a: PolicyActivationRow, v: PolicyVersionRow): Record<string, unknown> {
  return { hash: a.hash, name: v.name, activation: a.seq, activatedAt: iso(a.at), proposalId: a.proposalId, document: v.document, links: { version: `/v1/policies/versions/${a.hash}` } };
}
