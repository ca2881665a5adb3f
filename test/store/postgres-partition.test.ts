import { afterEach, describe, expect, it } from 'vitest';
import { isFirewallError } from '../../src/core/errors.ts';
import { PgStore } from '../../src/adapters/store/postgres/pg-store.ts';
import { LogAppender } from '../../src/gateway/log/appender.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { actionRecord } from '../helpers/action-record.ts';
import { startTcpSwitch } from '../helpers/tcp-switch.ts';

/**
 * Issue 16, bad input and faults: a network partition between one gateway process and PostgreSQL
 * (packets lost silently, not refused), while another process on the same database goes on. The
 * partitioned process is cut off in the middle of a write transaction, holding the writer lock.
 */

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('a partition between a gateway process and PostgreSQL', () => {
  it('cut off mid-transaction: the other process writes again within seconds, the cut one stops serving, commits nothing, and recovers when the network heals', async () => {
    const db = await freshDatabase();
    cleanup.push(db.drop);
    const pgPort = Number(new URL(db.url).port || 5432);
    const link = await startTcpSwitch(pgPort);
    cleanup.push(() => link.close());
    const viaLink = new URL(db.url);
    viaLink.port = String(link.port);
    // Short timeouts so the test takes seconds; the defaults are 30 s and 10 s (pg-store.ts).
    const cutOff = await PgStore.open({ url: viaLink.toString(), audit: new LogAppender(), queryTimeoutMs: 3_000, idleInTransactionTimeoutMs: 3_000 });
    cleanup.push(() => cutOff.close());
    const other = await PgStore.open({ url: db.url, audit: new LogAppender(), queryTimeoutMs: 20_000, idleInTransactionTimeoutMs: 3_000 });
    cleanup.push(() => other.close());

    // cutOff begins a transaction (it holds the writer lock and has written), then the network goes.
    let wrote!: () => void;
    const written = new Promise<void>((r) => (wrote = r));
    let goOn!: () => void;
    const partitioned = new Promise<void>((r) => (goOn = r));
    const inFlight = cutOff.tx(async (tx) => {
      await tx.insertAction(actionRecord('cut-1'));
      await tx.audit([{ v: 1, type: 'test.cut', ts: 1 }]);
      wrote();
      await partitioned;
      await tx.insertAction(actionRecord('cut-2'));
    });
    const outcome = inFlight.then(
      () => 'committed',
      (e: unknown) => (isFirewallError(e, 'STORE_UNAVAILABLE') ? 'STORE_UNAVAILABLE' : String(e)),
    );
    await written;
    link.partition();
    goOn();

    // The other process waits for the writer lock only until PostgreSQL ends the cut-off session
    // (3 s idle in transaction), well within its own 20 s query timeout, which would fail this write.
    await other.tx(async (tx) => (await tx.insertAction(actionRecord('other-1')), tx.audit([{ v: 1, type: 'test.other', ts: 2 }])));
    expect(await outcome).toBe('STORE_UNAVAILABLE');
    // Not ready while cut off, and it refuses writes rather than guessing.
    expect(await cutOff.ping()).toBe(false);
    await expect(cutOff.tx(async (tx) => tx.insertAction(actionRecord('cut-3')))).rejects.toSatisfy((e) => isFirewallError(e, 'STORE_UNAVAILABLE'));

    // Nothing of the cut-off transaction committed; the log holds only the other's entry.
    expect(await other.getAction('cut-1')).toBeUndefined();
    expect(await other.getAction('cut-2')).toBeUndefined();
    expect((await other.log.entries(0, 10)).map((e) => e.type)).toEqual(['test.other']);

    link.heal();
    expect(await cutOff.ping()).toBe(true);
    await cutOff.tx(async (tx) => (await tx.insertAction(actionRecord('cut-4')), tx.audit([{ v: 1, type: 'test.after', ts: 3 }])));
    expect((await other.log.entries(0, 10)).map((e) => e.type)).toEqual(['test.other', 'test.after']);
  }, 60_000);
});
