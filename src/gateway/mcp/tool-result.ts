import { isTerminal } from '../../core/action/status.ts';
import type { ActionRecord } from '../action-record.ts';
import { ACTION_META_KEY } from './call-upstream-tool.ts';

/** An MCP CallToolResult, as the gateway answers a tools/call. */
export interface ToolResult {
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
  [k: string]: unknown;
}

/** How long a model should wait before asking again about a held call (seconds). */
function retryAfterSec(a: ActionRecord, now: number): number {
  if (a.status === 'cooling' && a.dueAt !== null) return Math.max(1, Math.ceil((a.dueAt - now) / 1000));
  return a.status === 'awaiting_signature' || a.status === 'awaiting_quorum' ? 30 : 2;
}

function text(t: string, isError: boolean, a: ActionRecord, structured?: Record<string, unknown>): ToolResult {
  return {
    content: [{ type: 'text', text: t }],
    ...(structured === undefined ? {} : { structuredContent: structured }),
    ...(isError ? { isError: true } : {}),
    _meta: { [ACTION_META_KEY]: a.id },
  };
}

/**
 * What the model is told about its call (docs/mcp.md "Held calls"): the upstream's own result once
 * executed; a tool error naming the reason for a veto, an expiry, a block or a failure; otherwise a
 * plain statement that the call is held at human tempo, with the action id and when to ask again.
 */
export function toolResultOf(a: ActionRecord, o: { origin: string; now: number }): ToolResult {
  const tier = a.classification.tier;
  switch (a.status) {
    case 'executed': {
      if (a.result === undefined) return text('The call was carried out; the server returned nothing.', false, a);
      const answer = JSON.parse(Buffer.from(a.result.bodyB64, 'base64').toString('utf8')) as { result?: ToolResult; error?: { code: number; message: string } };
      if (answer.result !== undefined) return { ...answer.result, _meta: { ...(answer.result._meta ?? {}), [ACTION_META_KEY]: a.id } };
      return text(`The tool answered with an error (${answer.error?.code ?? 'unknown'}): ${answer.error?.message ?? ''}`, true, a);
    }
    case 'vetoed':
      return text(`Vetoed${a.vetoedBy === undefined ? '' : ` by ${a.vetoedBy}`} during the cooling period; it was not carried out (action ${a.id}).`, true, a);
    case 'expired':
      return text(`No human approved this ${tier} call in time; it expired and was not carried out (action ${a.id}).`, true, a);
    case 'blocked':
      return text(`Refused by policy rule ${a.classification.rule}: ${a.classification.reasons.join(' ')} (action ${a.id}).`, true, a);
    case 'failed': {
      if (a.result !== undefined) {
        // A definite refusal: the server answered and did not carry it out (docs/api.md §Outcomes).
        const answer = JSON.parse(Buffer.from(a.result.bodyB64, 'base64').toString('utf8')) as { error?: { code: number; message: string } };
        return text(`The tool answered with an error (${answer.error?.code ?? 'unknown'}): ${answer.error?.message ?? ''}`, true, a);
      }
      return text(`The server could not be reached to carry this out (${a.error ?? 'unknown'}); it did not execute (action ${a.id}).`, true, a);
    }
    case 'outcome_unknown':
      // Not a failure: it may have run. Calling again would be a second call, not a retry.
      return text(
        a.dueAt === null
          ? `The server may or may not have carried this out (${a.error ?? 'unknown'}); a person will find out and reconcile it. Do not call it again (action ${a.id}).`
          : `The server may or may not have carried this out (${a.error ?? 'unknown'}); the gateway is sending it again under the same key. Do not call it again (action ${a.id}).`,
        false,
        a,
        { status: 'outcome_unknown', action: a.id },
      );
    default: {
      const retry = retryAfterSec(a, o.now);
      const why =
        a.status === 'cooling'
          ? `it is in a ${tier} cooling period a human may veto`
          : a.status === 'awaiting_signature'
            ? 'it waits for a person to sign it with a live biological signature'
            : a.status === 'awaiting_quorum'
              ? 'it waits for a quorum of people and an institutional comparator'
              : 'it is being carried out';
      return text(
        `Held at human tempo: ${why}. Action ${a.id}, status ${a.status}. Call analog_firewall_status with this actionId in about ${retry} s to learn the outcome; do not repeat the call.`,
        false,
        a,
        {
          status: a.status,
          actionId: a.id,
          tier,
          statusUrl: `${o.origin}/v1/actions/${a.id}`,
          retryAfterSec: retry,
          ...(a.dueAt !== null && !isTerminal(a.status) ? { dueAt: new Date(a.dueAt).toISOString() } : {}),
        },
      );
    }
  }
}
