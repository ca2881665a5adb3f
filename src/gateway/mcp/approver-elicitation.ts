import type { ActionRecord } from '../action-record.ts';

/** The params of a URL-mode `elicitation/create` (MCP 2025-11-25) pointing the human at the approver app's page for a held call. */
export interface ApproverElicitation {
  mode: 'url';
  /** The action id: unique per held call, and what `notifications/elicitation/complete` names when it ends. */
  elicitationId: string;
  url: string;
  message: string;
}

const WHY: Partial<Record<ActionRecord['status'], string>> = {
  cooling: 'is cooling before it runs; a person may veto it meanwhile',
  awaiting_signature: 'needs a live signature from a person',
  awaiting_quorum: 'needs the approval of several people',
};

/**
 * Only the action id goes in the URL (MCP 2025-11-25 "URL Elicitation Requests": no credentials or
 * personal data in URLs); the app shows the action after its own passkey sign-in, so opening the
 * link grants nothing.
 */
export function approverElicitation(a: ActionRecord, origin: string): ApproverElicitation {
  return {
    mode: 'url',
    elicitationId: a.id,
    url: `${origin}/app/actions/${encodeURIComponent(a.id)}`,
    message: `The ${a.classification.tier} action ${a.id} ${WHY[a.status] ?? 'waits for people'}. Open the Analog Firewall approver app to see it.`,
  };
}
