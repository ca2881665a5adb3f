import { consoleApi, query } from './console-api.ts';
import { observe, type Observation } from './history.ts';
import { checkCheckpoint, logKey, type CheckpointCheck, type LogKey } from './trust.ts';

export interface CheckedCheckpoint {
  key: LogKey;
  note: string;
  signature: CheckpointCheck;
  /** Against what this browser saw before (only for a checkpoint whose signature verified). */
  history?: Observation;
}

/** A consistency proof from the gateway (verified by the caller, never trusted). */
export async function consistencyProof(from: number, to: number): Promise<string[]> {
  return (await consoleApi<{ hashes: string[] }>('GET', `/proofs/consistency${query({ from, to })}`)).hashes;
}

/**
 * A signed checkpoint as the console takes it: its signature checked with the log's key, then
 * compared with every checkpoint this browser saw before (history.ts).
 */
export async function checkAndRemember(note: string): Promise<CheckedCheckpoint> {
  const key = await logKey();
  const signature = checkCheckpoint(note, key);
  if (!signature.ok) return { key, note, signature };
  return { key, note, signature, history: await observe(signature.checkpoint, note, consistencyProof) };
}
