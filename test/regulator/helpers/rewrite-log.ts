import { DatabaseSync } from 'node:sqlite';
import { canonicalJson } from '../../../src/core/canonical.ts';
import { leafHash, nodeHash } from '../../../src/core/merkle/hash.ts';
import { nodeId } from '../../../src/adapters/store/sqlite-log-schema.ts';

/**
 * What a dishonest operator with the database (and the HSM's signing key) can do while the
 * gateway is stopped: rewrite an entry, recompute every subtree hash above it, and drop the
 * checkpoints that no longer match, so that the gateway, started again, signs the rewritten tree
 * as if it had always been so. Only a verifier that remembers an earlier checkpoint can tell.
 */
export function rewriteEntry(dbPath: string, index: number, edit: (entry: Record<string, unknown>) => void): void {
  const db = new DatabaseSync(dbPath);
  try {
    const row = db.prepare('SELECT body FROM tlog_entries WHERE idx = ?').get(index) as { body: string };
    const entry = JSON.parse(row.body) as Record<string, unknown>;
    edit(entry);
    const body = canonicalJson(entry);
    db.exec('BEGIN');
    db.prepare('UPDATE tlog_entries SET body = ?, leaf_hash = ? WHERE idx = ?').run(body, leafHash(body), index);
    const hashAt = (level: number, i: number): Uint8Array | undefined =>
      level === 0
        ? ((db.prepare('SELECT leaf_hash AS h FROM tlog_entries WHERE idx = ?').get(i) as { h: Uint8Array } | undefined)?.h)
        : ((db.prepare('SELECT hash AS h FROM tlog_nodes WHERE id = ?').get(nodeId(level, i)) as { h: Uint8Array } | undefined)?.h);
    for (let level = 1; level < 48; level++) {
      const i = Math.floor(index / 2 ** level);
      if (hashAt(level, i) === undefined) break; // not a complete subtree yet: computed from the frontier
      db.prepare('UPDATE tlog_nodes SET hash = ? WHERE id = ?').run(nodeHash(hashAt(level - 1, 2 * i)!, hashAt(level - 1, 2 * i + 1)!), nodeId(level, i));
    }
    db.exec('DELETE FROM tlog_checkpoints');
    db.exec('COMMIT');
  } finally {
    db.close();
  }
}
