import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { LogAppender } from '../../src/gateway/log/appender.ts';
import { SqliteStore } from '../../src/adapters/store/sqlite-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'af-migrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a database from before velocity scopes', () => {
  it('gets owner and organisation columns filled from the principals, and owner windows count its actions', async () => {
    const path = join(dir, 'old.db');
    const old = new DatabaseSync(path);
    // The actions table as it was: no owner, no organisation.
    old.exec(`CREATE TABLE actions (id TEXT PRIMARY KEY, agent TEXT NOT NULL, idempotency_key TEXT NOT NULL, status TEXT NOT NULL, actuator TEXT NOT NULL,
      operation TEXT NOT NULL, target TEXT NOT NULL, amount DOUBLE PRECISION, currency TEXT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
      due_at BIGINT, doc TEXT NOT NULL, UNIQUE (agent, idempotency_key));
      CREATE TABLE principals (id TEXT PRIMARY KEY, doc TEXT NOT NULL);`);
    old.prepare('INSERT INTO principals (id, doc) VALUES (?, ?)').run('bot-a', JSON.stringify({ id: 'bot-a', roles: ['agent'], owner: 'olga', organisation: 'acme' }));
    old.prepare('INSERT INTO principals (id, doc) VALUES (?, ?)').run('bot-b', JSON.stringify({ id: 'bot-b', roles: ['agent'] }));
    const row = old.prepare('INSERT INTO actions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    row.run('a1', 'bot-a', 'k1', 'cooling', 'payments', 'transfer', 'p1', 900, 'EUR', 1000, 1000, null, '{}');
    row.run('a2', 'bot-b', 'k2', 'cooling', 'payments', 'transfer', 'p2', 700, 'EUR', 1000, 1000, null, '{}');
    old.close();

    const store = new SqliteStore({ path, audit: new LogAppender() });
    try {
      const base = { actuator: 'payments', operations: ['transfer'], currency: 'EUR', sinceMs: 0 };
      const totals = await store.tx((tx) =>
        tx.velocityTotals([
          { ruleId: 'owner', owner: 'olga', ...base },
          { ruleId: 'organisation', organisation: 'acme', ...base },
          // No owner registered: the agent is its own owner and organisation.
          { ruleId: 'ownerless', owner: 'bot-b', ...base },
          { ruleId: 'ownerless-org', organisation: 'bot-b', ...base },
          { ruleId: 'global', ...base },
        ]),
      );
      expect(totals).toEqual([
        { ruleId: 'owner', count: 1, amount: 900 },
        { ruleId: 'organisation', count: 1, amount: 900 },
        { ruleId: 'ownerless', count: 1, amount: 700 },
        { ruleId: 'ownerless-org', count: 1, amount: 700 },
        { ruleId: 'global', count: 2, amount: 1600 },
      ]);
    } finally {
      await store.close();
    }
    // Opening it again changes nothing.
    const again = new SqliteStore({ path, audit: new LogAppender() });
    await again.close();
  });
});
