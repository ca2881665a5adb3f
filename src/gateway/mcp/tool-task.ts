import { isTerminal } from '../../core/action/status.ts';
import type { ActionRecord } from '../action-record.ts';

/** An MCP task (2025-11-25, "Tasks"): a held tools/call, identified by its action id. */
export interface McpTask {
  taskId: string;
  status: 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';
  statusMessage?: string;
  createdAt: string;
  lastUpdatedAt: string;
  ttl: number | null;
  pollInterval?: number;
}

/**
 * The task view of an action. Waiting for people is `working` (the requestor has nothing to
 * provide: `input_required` would ask the agent); an executed call is `completed` whatever the
 * tool answered; a veto, an expiry, a block or a failure is `failed`, with the reason.
 */
export function taskOf(a: ActionRecord, ttlMs: number | null): McpTask {
  const base = { taskId: a.id, createdAt: new Date(a.createdAt).toISOString(), lastUpdatedAt: new Date(a.updatedAt).toISOString(), ttl: ttlMs };
  if (a.status === 'executed') return { ...base, status: 'completed' };
  if (isTerminal(a.status)) return { ...base, status: 'failed', statusMessage: a.status === 'vetoed' ? `vetoed${a.vetoedBy === undefined ? '' : ` by ${a.vetoedBy}`}` : a.status === 'failed' ? `failed: ${a.error ?? 'unknown'}` : a.status };
  if (a.status === 'outcome_unknown') {
    // It may have run: still working (resending, or waiting for a person to reconcile it), never failed.
    return { ...base, status: 'working', statusMessage: a.dueAt === null ? 'outcome unknown: waiting for a person to reconcile it' : 'outcome unknown: resending under the same key', pollInterval: 10_000 };
  }
  const waitingFor =
    a.status === 'cooling' ? 'a cooling period a human may veto' : a.status === 'awaiting_signature' ? "a person's live signature" : a.status === 'awaiting_quorum' ? 'a quorum of people' : 'execution';
  return { ...base, status: 'working', statusMessage: `held at human tempo: waiting for ${waitingFor}`, pollInterval: a.status === 'cooling' || a.status === 'executing' ? 1000 : 10_000 };
}
