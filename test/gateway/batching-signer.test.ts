import { verify } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BatchingSigner } from '../../src/adapters/signer/batching-signer.ts';
import { MemorySigner } from '../helpers/memory-signer.ts';

describe('BatchingSigner', () => {
  it('folds concurrent signs into one batch and returns each caller its own signature', async () => {
    const inner = new MemorySigner();
    let batches = 0;
    const orig = inner.signBatch.bind(inner);
    inner.signBatch = async (p, d) => {
      batches++;
      return orig(p, d);
    };
    const s = new BatchingSigner(inner);
    const msgs = Array.from({ length: 50 }, (_, i) => Buffer.from(`receipt ${i}`));
    const sigs = await Promise.all(msgs.map((m) => s.sign('receipt', m)));
    expect(batches).toBe(1);
    const key = createPublicKey({ key: (await s.publicKey('receipt')).jwk, format: 'jwk' });
    sigs.forEach((sig, i) => expect(verify(null, msgs[i]!, key, sig.signature)).toBe(true));
    expect(verify(null, msgs[1]!, key, sigs[0]!.signature)).toBe(false);
  });

  it('a failing batch rejects every caller in it (nothing is left hanging)', async () => {
    const inner = new MemorySigner();
    inner.healthy = false;
    const s = new BatchingSigner(inner);
    const all = await Promise.allSettled([s.sign('receipt', Buffer.from('a')), s.sign('receipt', Buffer.from('b'))]);
    expect(all.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
