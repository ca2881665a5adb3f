import { FirewallError } from '../../core/errors.ts';
import type { LogEntry } from '../../core/log/types.ts';
import { scan, type ConsoleLog } from './console-log.ts';

export interface TrailEntry {
  index: number;
  /** The exact leaf text (RFC 8785 JSON): what the page hashes. */
  text: string;
  /** Base64 RFC 9162 PATH(index, D[checkpoint size]); null for an entry newer than the checkpoint. */
  inclusion: string[] | null;
}

export interface ActionTrail {
  actionId: string;
  /** The signed checkpoint every inclusion proof is against (C2SP signed note). */
  checkpoint: { note: string; size: number };
  entries: TrailEntry[];
}

/** More is not an action's history but an attack on the page: 1,000 entries is far beyond any real trail. */
const MAX_TRAIL = 1000;
const b64 = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.length).toString('base64');

/**
 * One action's whole history (received … executed, vetoed or expired, and the signature,
 * approval and comparator entries between), each entry with its inclusion proof in a checkpoint
 * signed now, so the page can check every one against the log's key without trusting this answer.
 */
export async function actionTrail(log: ConsoleLog, actionId: string): Promise<ActionTrail> {
  const found: LogEntry[] = [];
  for await (const e of scan(log, { actionId }, MAX_TRAIL)) found.push(e);
  if (found.length === 0) throw new FirewallError('ACTION_NOT_FOUND', `the log holds no entry of action '${actionId.slice(0, 100)}'`, { status: 404 });
  const cp = await log.checkpoint();
  const entries = [];
  for (const e of found) entries.push({ index: e.index, text: e.body, inclusion: e.index < cp.size ? (await log.inclusionProof(e.index, cp.size)).hashes.map(b64) : null });
  return { actionId, checkpoint: { note: cp.note, size: cp.size }, entries };
}

/** RFC 9162 consistency proof between two sizes, `to` at most the latest signed checkpoint. */
export async function consistencyBetween(log: ConsoleLog, from: number, to: number): Promise<{ from: number; to: number; hashes: string[] }> {
  const latest = (await log.latestCheckpoint())?.size ?? 0;
  if (to > latest) throw new FirewallError('LOG_NOT_FOUND', `size ${to} is beyond the latest signed checkpoint (size ${latest})`, { status: 404 });
  const p = await log.consistencyProof(from, to);
  return { from: p.from, to: p.to, hashes: p.hashes.map(b64) };
}
