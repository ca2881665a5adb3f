import type { ActionRecord } from './action-record.ts';

/**
 * The audit entry envelope (docs/transparency-log.md): canonical JSON with a version and a type.
 * Entries carry digests and decisions, never secrets or raw biometric samples.
 */
export function entry(type: string, ts: number, a: Pick<ActionRecord, 'id' | 'digest'>, body: Record<string, unknown> = {}): Record<string, unknown> {
  return { v: 1, type, ts, actionId: a.id, digest: a.digest, ...body };
}
