import type { PolicyActivationRow, PolicyProposal, PolicyVersionRow, ProposerKind, VersionStatus } from '../../gateway/ports/policy-versions.ts';

/** Rows of the policy_ tables as the policy versions port's records, for both stores. */
export function versionOf(r: Record<string, unknown> | undefined): PolicyVersionRow | undefined {
  if (r === undefined) return undefined;
  return {
    hash: String(r['hash']),
    name: String(r['name']),
    document: JSON.parse(String(r['document'])) as unknown,
    source: String(r['source']),
    proposedBy: String(r['proposed_by']),
    proposerKind: String(r['proposer_kind']) as ProposerKind,
    proposedAt: Number(r['proposed_at']),
    status: String(r['status']) as VersionStatus,
    activatedAt: r['activated_at'] === null ? null : Number(r['activated_at']),
  };
}

export function activationOf(r: Record<string, unknown> | undefined): PolicyActivationRow | undefined {
  if (r === undefined) return undefined;
  return { seq: Number(r['seq']), hash: String(r['hash']), at: Number(r['at']), proposalId: r['proposal_id'] === null ? null : String(r['proposal_id']) };
}

export function proposalOf(row: unknown): PolicyProposal | undefined {
  return row === undefined ? undefined : (JSON.parse((row as { doc: string }).doc) as PolicyProposal);
}
