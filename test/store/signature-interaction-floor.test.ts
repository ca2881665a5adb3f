import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { LogAppender } from '../../src/gateway/log/appender.ts';
import { SqliteStore } from '../../src/adapters/store/sqlite-store.ts';
import type { Fingerprint } from '../../src/core/liveness/types.ts';
import { openTestStore, type StoreKind } from '../helpers/postgres.ts';

/** The retention purge's candidate index (adapters/store/sqlite-signature-schema.ts): a lower bound, never the decision. */
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const FP = { modality: 'motion', hashes: [1, 2, 3] } as unknown as Fingerprint;
const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

async function open(path: string): Promise<{ store: SqliteStore; close(): Promise<void> }> {
  const store = new SqliteStore({ path, audit: new LogAppender() });
  return { store, close: () => store.close() };
}

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'af-floor-'));
  dirs.push(dir);
  return join(dir, 'gateway.db');
}

describe.each<StoreKind>(['sqlite', 'postgres'])('interaction floor on %s', (kind) => {
  it('finds a person by a stale floor, reports their exact last interaction, and stops finding them once the floor is raised', async () => {
    const db = await openTestStore(kind);
    await db.store.tx(async (tx) => {
      await tx.signatures.putPerson('ada', ['motion'], null, T0);
      await tx.signatures.putPerson('bo', ['motion'], null, T0 + DAY);
      // ada interacts ten days later; nothing raises her floor (it stays at her creation).
      await tx.signatures.insertFingerprint('ada', 'chl_1', FP, T0 + 10 * DAY);
    });
    const cutoff = T0 + 5 * DAY;
    expect(await db.store.signatures.retentionCandidates(cutoff, 10)).toEqual([
      { id: 'ada', lastInteractionAt: T0 + 10 * DAY },
      { id: 'bo', lastInteractionAt: T0 + DAY },
    ]);
    await db.store.tx(async (tx) => tx.signatures.raiseInteractionFloor('ada', T0 + 10 * DAY));
    expect(await db.store.signatures.retentionCandidates(cutoff, 10)).toEqual([{ id: 'bo', lastInteractionAt: T0 + DAY }]);
    // Raising never lowers it.
    await db.store.tx(async (tx) => tx.signatures.raiseInteractionFloor('ada', T0));
    expect((await db.store.signatures.retentionCandidates(cutoff, 10)).map((p) => p.id)).toEqual(['bo']);
    expect(await db.store.signatures.retentionCandidates(T0 + 11 * DAY, 1)).toEqual([{ id: 'bo', lastInteractionAt: T0 + DAY }]);
    // The person's own fingerprints and the most recent of everyone's.
    await db.store.tx(async (tx) => tx.signatures.insertFingerprint('bo', 'chl_2', { ...FP, hashes: [4] } as Fingerprint, T0 + 11 * DAY));
    expect((await db.store.signatures.fingerprintHistory('ada', 1)).map((f) => (f as unknown as { hashes: number[] }).hashes)).toEqual([[1, 2, 3], [4]]);
    expect((await db.store.signatures.fingerprintHistory('bo', 5)).length).toBe(2);
    await db.dispose();
  });
});

describe('interaction floor on SQLite', () => {

  it('is added to a database made before it existed, filled with each exact last interaction', async () => {
    const path = tempDb();
    const db = await open(path);
    await db.store.tx(async (tx) => {
      await tx.signatures.putPerson('ada', ['motion'], null, T0);
      await tx.signatures.insertFingerprint('ada', 'chl_1', FP, T0 + 10 * DAY);
      await tx.signatures.putPerson('bo', ['motion'], null, T0 + DAY);
    });
    await db.close();
    // The earlier schema: no column, no index.
    const raw = new DatabaseSync(path);
    raw.exec('DROP INDEX sig_people_interaction_floor; ALTER TABLE sig_people DROP COLUMN interaction_floor;');
    expect((raw.prepare('PRAGMA table_info(sig_people)').all() as { name: string }[]).map((c) => c.name)).not.toContain('interaction_floor');
    raw.close();

    const again = await open(path);
    const floors = new DatabaseSync(path, { readOnly: true });
    expect(floors.prepare('SELECT id, interaction_floor AS f FROM sig_people ORDER BY id').all()).toEqual([
      { id: 'ada', f: T0 + 10 * DAY },
      { id: 'bo', f: T0 + DAY },
    ]);
    expect(floors.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'sig_people_interaction_floor'").all()).toHaveLength(1);
    floors.close();
    expect((await again.store.signatures.retentionCandidates(T0 + 5 * DAY, 10)).map((p) => p.id)).toEqual(['bo']);
    await again.close();
  });
});
