import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { LogAppender } from '../../src/gateway/log/appender.ts';
import { SqliteStore } from '../../src/adapters/store/sqlite-store.ts';
import type { NewChallenge } from '../../src/gateway/ports/signatures.ts';

/** sig_challenges.nonce_sealed (adapters/store/sqlite-signature-schema.ts): kept while open, added to older databases. */
const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

const challenge = (id: string, person: string, sealedNonce: string): NewChallenge => ({
  id, purpose: 'action', mode: 'biological', actionId: `act_${id}`, digest: 'd'.repeat(64), person, role: 'authorizer',
  modalities: ['motion'], sustainedMs: 20_000, nonceSha256: 'a'.repeat(64), issuedAt: 1, expiresAt: 2, sealedNonce,
});

describe('sealed challenge nonces in the SQLite store', () => {
  it('reads the sealed nonce of an open challenge only, and drops it when the challenge ends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'af-sealed-col-'));
    dirs.push(dir);
    const store = new SqliteStore({ path: join(dir, 'gateway.db'), audit: new LogAppender() });
    await store.tx(async (tx) => {
      await tx.signatures.insertChallenge(challenge('chl_1', 'ada', 'AQID'));
    });
    expect(await store.signatures.sealedNonce('chl_1')).toBe('AQID');
    expect(await store.signatures.sealedNonce('chl_none')).toBeUndefined();
    await store.tx(async (tx) => tx.signatures.startChallenge('chl_1', null, 3));
    expect(await store.signatures.sealedNonce('chl_1')).toBe('AQID');
    await store.tx(async (tx) => tx.signatures.endChallenge('chl_1', 'succeeded', 'VERIFIED', 4));
    expect(await store.signatures.sealedNonce('chl_1')).toBeUndefined();
    await store.close();
    const raw = new DatabaseSync(join(dir, 'gateway.db'), { readOnly: true });
    expect(raw.prepare('SELECT nonce_sealed FROM sig_challenges WHERE id = ?').get('chl_1')).toEqual({ nonce_sealed: null });
    raw.close();
  });

  it('is added to a database made before it existed; challenges already there have none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'af-sealed-col-'));
    dirs.push(dir);
    const path = join(dir, 'gateway.db');
    const first = new SqliteStore({ path, audit: new LogAppender() });
    await first.tx(async (tx) => {
      await tx.signatures.insertChallenge(challenge('chl_old', 'bo', 'AQID'));
    });
    await first.close();
    // The earlier schema: no column.
    const raw = new DatabaseSync(path);
    raw.exec('ALTER TABLE sig_challenges DROP COLUMN nonce_sealed');
    raw.close();

    const again = new SqliteStore({ path, audit: new LogAppender() });
    expect(await again.signatures.sealedNonce('chl_old')).toBeUndefined();
    expect((await again.signatures.getChallenge('chl_old'))?.state).toBe('issued');
    await again.tx(async (tx) => {
      await tx.signatures.insertChallenge(challenge('chl_new', 'cy', 'BAUG'));
    });
    expect(await again.signatures.sealedNonce('chl_new')).toBe('BAUG');
    await again.close();
  });
});
