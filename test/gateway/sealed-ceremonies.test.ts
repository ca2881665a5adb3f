import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { isFirewallError } from '../../src/core/errors.ts';
import { MemoryReplayCache } from '../../src/gateway/jti-cache.ts';
import type { ReplayCache } from '../../src/gateway/ports/replay-cache.ts';
import { SealedCeremonies } from '../../src/gateway/sealed-ceremonies.ts';
import { MemorySealer } from '../helpers/memory-sealer.ts';

/** Two replicas: one HSM key, one shared replay cache, ceremonies of their own in memory (none). */
function replicas(o: { replay?: ReplayCache; purpose?: string } = {}) {
  const clock = new ManualClock();
  const sealer = new MemorySealer();
  const replay = o.replay ?? new MemoryReplayCache({ since: clock.now() - 1 });
  const make = (purpose = o.purpose ?? 'app-sign-in') => new SealedCeremonies<{ challenge: string }>({ sealer, replay, clock, ttlMs: 300_000, purpose });
  return { clock, sealer, make, a: make(), b: make() };
}

describe('sealed ceremonies', () => {
  it('are finished by another replica than the one that opened them, once', async () => {
    const { a, b } = replicas();
    const { ceremonyId } = await a.open({ challenge: 'c-1' });
    expect(await b.take(ceremonyId)).toEqual({ value: { challenge: 'c-1' } });
    expect(await a.take(ceremonyId)).toBeUndefined();
    expect(await b.take(ceremonyId)).toBeUndefined();
  });

  it('refuse what they did not seal: another purpose, a changed byte, garbage, another key', async () => {
    const { a, make } = replicas();
    const { ceremonyId } = await a.open({ challenge: 'c-2' });
    expect(await make('console-sign-in').take(ceremonyId)).toBeUndefined();
    const bytes = Buffer.from(ceremonyId.slice(4), 'base64url');
    bytes[bytes.length - 5]! ^= 1;
    expect(await a.take(`cer_${bytes.toString('base64url')}`)).toBeUndefined();
    for (const junk of [undefined, 42, '', 'cer_', 'cer_!!', `cer_${'A'.repeat(5000)}`, ceremonyId.slice(4)]) expect(await a.take(junk)).toBeUndefined();
    expect(await replicas().a.take(ceremonyId)).toBeUndefined();
    // The genuine one still works: the refusals above spent nothing.
    expect(await a.take(ceremonyId)).toEqual({ value: { challenge: 'c-2' } });
  });

  it('say a ceremony came too late (and spend it), and refuse when the shared cache cannot answer', async () => {
    const { a, clock } = replicas();
    const late = await a.open({ challenge: 'c-3' });
    clock.advance(300_001);
    expect(await a.take(late.ceremonyId)).toEqual({ expired: true });
    expect(await a.take(late.ceremonyId)).toBeUndefined();
    const down = replicas({ replay: { use: () => Promise.reject(new Error('redis gone')) } });
    const c = await down.a.open({ challenge: 'c-4' });
    const err = await down.b.take(c.ceremonyId).then(() => undefined, (e: unknown) => e);
    expect(isFirewallError(err, 'REPLAY_CACHE_UNAVAILABLE') && err.status).toBe(503);
  });
});
