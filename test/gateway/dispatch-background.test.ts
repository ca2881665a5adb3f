import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.ts';
import { FirewallError } from '../../src/core/errors.ts';
import type { ActionRecord } from '../../src/gateway/action-record.ts';
import { Dispatcher, type DispatcherDeps } from '../../src/gateway/dispatcher.ts';

/**
 * Dispatches nobody waits for (scheduler, approvals, signatures) must not leave an unhandled
 * rejection when the store refuses to record their outcome (closed during shutdown, or failed):
 * seen as an unhandled STORE_UNAVAILABLE from a full test run, which fails the run.
 */
describe('a dispatch started in the background', () => {
  it('logs a store refusal instead of rejecting unhandled; the action is left for the scheduler', async () => {
    const warnings: object[] = [];
    const deps = {
      store: { tx: () => Promise.reject(new FirewallError('STORE_UNAVAILABLE', 'the store is closed', { status: 503 })) },
      policy: () => ({}),
      clock: systemClock,
      issueReceipt: () => Promise.reject(new Error('not used')),
      events: { changed: () => {} },
      upstreamTimeoutMs: 1000,
      dispatchLeaseMs: 1000,
      maxAttempts: 3,
      maxUpstreamBodyBytes: 1024,
      log: { warn: (o: object) => void warnings.push(o) },
      internal: new Map(),
    } as unknown as DispatcherDeps;
    const d = new Dispatcher(deps);
    const record = { id: 'act_bg', status: 'executing', descriptor: { actuator: '@nowhere' }, dispatchAttempts: 0 } as unknown as ActionRecord;
    // The awaited form still reports the refusal to its caller (a request gets its 503).
    await expect(d.dispatch(record)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      d.start(record);
      // Let the rejection settle and Node's unhandled-rejection check run.
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    expect(warnings).toContainEqual(expect.objectContaining({ actionId: 'act_bg', code: 'STORE_UNAVAILABLE' }));
  });
});
