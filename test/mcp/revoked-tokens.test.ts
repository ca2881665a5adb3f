import { describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../src/adapters/store/sqlite-store.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { isFirewallError } from '../../src/core/errors.ts';
import { RevokedTokens } from '../../src/gateway/mcp/revoked-tokens.ts';
import type { LogReads } from '../../src/gateway/ports/log-storage.ts';
import { tempSqliteStores } from '../helpers/temp-sqlite-store.ts';

const open = tempSqliteStores('af-revoked-');

const revoke = (store: SqliteStore, ts: number, ...jtis: string[]) =>
  store.tx((tx) => tx.audit(jtis.map((jti) => ({ v: 1, type: 'agent.token_revoked', ts, by: 'agent-1', jti }))));

describe('revoked agent tokens, read from the log', () => {
  it('knows every revocation any gateway logged within a token lifetime, including more than one page, and later ones after a refresh', async () => {
    const store = open();
    const clock = new ManualClock();
    const now = clock.now();
    await revoke(store, now - 17 * 60_000, 'long-expired');
    await revoke(store, now - 60_000, ...Array.from({ length: 1200 }, (_, i) => `jti-${i}`));
    const revoked = new RevokedTokens({ log: store.log, clock });
    expect(await revoked.isRevoked('jti-0')).toBe(true);
    expect(await revoked.isRevoked('jti-1199')).toBe(true);
    expect(await revoked.isRevoked('never')).toBe(false);
    // Older than any token can live: not kept.
    expect(await revoked.isRevoked('long-expired')).toBe(false);
    // Another replica's revocation, logged now: known after the next read.
    await revoke(store, now, 'later');
    expect(await revoked.isRevoked('later')).toBe(false);
    await revoked.refresh();
    expect(await revoked.isRevoked('later')).toBe(true);
    // Entries fall away once no token they could name is alive.
    clock.advance(20 * 60_000);
    await revoked.refresh();
    expect(await revoked.isRevoked('jti-0')).toBe(false);
  });

  it('refuses to answer, rather than say "not revoked", when the log has not been read for five seconds', async () => {
    const store = open();
    const clock = new ManualClock();
    let up = true;
    const log: LogReads = new Proxy(store.log, {
      get: (target, p, receiver) => (p === 'query' ? (f: Parameters<LogReads['query']>[0]) => (up ? target.query(f) : Promise.reject(new Error('store down'))) : Reflect.get(target, p, receiver)),
    });
    const revoked = new RevokedTokens({ log, clock });
    expect(await revoked.isRevoked('t1')).toBe(false);
    up = false;
    clock.advance(4_000);
    expect(await revoked.isRevoked('t1')).toBe(false); // read 4 s ago: still current
    clock.advance(2_000);
    const err = await revoked.isRevoked('t1').then(() => undefined, (e: unknown) => e);
    expect(isFirewallError(err, 'TOKEN_REVOCATIONS_UNAVAILABLE') && err.status).toBe(503);
    up = true;
    expect(await revoked.isRevoked('t1')).toBe(false);
  });
});
