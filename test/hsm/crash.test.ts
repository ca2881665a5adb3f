/**
 * SIGKILL in the middle of key generation: at each step of the commit (temp file written, store
 * renamed, anchor written) and at random moments. The store must always open consistently: no
 * tamper alarm, every acknowledged key present and working, nothing half-written left behind.
 */
import { X509Certificate, createPublicKey, verify } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, loggedIn, rejectsWith, startDevice, tempDir, waitFor } from './helpers.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

interface KeyInfo {
  label: string;
  id: string;
  jwk: JsonWebKey;
  x5c: string[];
}

async function checkConsistent(dir: string, mustHave: string[], mustNotHave: string[]): Promise<KeyInfo[]> {
  const dev = await startDevice(cleanup, dir);
  expect(dev.state).toBe('active');
  expect(dev.logs.join('\n')).not.toContain('"event":"tamper"');
  expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  const user = await loggedIn(cleanup, dev.endpoint, 'user');
  const { keys } = await user.request<{ keys: KeyInfo[] }>('listKeys');
  const labels = keys.map((k) => k.label);
  for (const l of mustHave) expect(labels).toContain(l);
  for (const l of mustNotHave) expect(labels).not.toContain(l);
  // Every key that is there is whole: it signs, the signature verifies, its certificate chains.
  const data = Buffer.from('after the crash');
  for (const k of keys) {
    const full = await user.request<KeyInfo>('getPublicKey', { key: { id: k.id } });
    const r = await user.request<{ signature: string }>('sign', { key: { id: k.id }, purpose: 'receipt', mechanism: 'EdDSA', data: data.toString('base64') });
    expect(verify(null, data, createPublicKey({ key: full.jwk as import('node:crypto').JsonWebKey, format: 'jwk' }), Buffer.from(r.signature, 'base64'))).toBe(true);
    const [leaf, root] = full.x5c.map((c) => new X509Certificate(Buffer.from(c, 'base64')));
    expect(leaf!.verify(root!.publicKey)).toBe(true);
  }
  await dev.stop();
  return keys;
}

describe('SIGKILL during key generation', () => {
  for (const [stage, committed] of [
    ['store-temp-written', false],
    ['store-renamed', true],
    ['anchor-written', true],
  ] as const) {
    it(`killed after ${stage}: the store opens consistently and the key is ${committed ? 'there' : 'absent'}`, async () => {
      const dir = await tempDir(cleanup);
      const dev = await startDevice(cleanup, dir, { env: { HSM_SIM_TEST_STALL_AT: `generateKey:doomed:${stage}` } });
      const user = await loggedIn(cleanup, dev.endpoint, 'user');
      await user.request('generateKey', { label: 'before', algorithm: 'Ed25519', purposes: ['receipt'] });
      const pending = user.request('generateKey', { label: 'doomed', algorithm: 'Ed25519', purposes: ['receipt'] });
      await waitFor(() => dev.logs.some((l) => l.startsWith(`stall ${stage} generateKey:doomed`)), 10_000, `stall at ${stage}`);
      if (stage === 'store-temp-written') expect((await readdir(dir)).some((f) => f.startsWith('store.json.tmp-'))).toBe(true);
      dev.process.kill('SIGKILL');
      await rejectsWith(pending, 'SIGNER_UNAVAILABLE');
      await waitFor(() => dev.process.signalCode !== null, 5000, 'process exit');

      await checkConsistent(dir, committed ? ['before', 'doomed'] : ['before'], committed ? [] : ['doomed']);
      // And the device carries on normally afterwards.
      const again = await startDevice(cleanup, dir);
      const u2 = await loggedIn(cleanup, again.endpoint, 'user');
      if (!committed) await u2.request('generateKey', { label: 'doomed', algorithm: 'Ed25519', purposes: ['receipt'] });
      await u2.request('generateKey', { label: 'after', algorithm: 'P-256', purposes: ['token'] });
    });
  }

  it('killed at random moments while generating many keys: every acknowledged key survives', async () => {
    const dir = await tempDir(cleanup);
    const acknowledged = new Set<string>();
    let perRound = 40;
    let interrupted = 0;
    // Keep going until two kills have landed mid-way; a round the device finished before the kill
    // (a starved test process sees acks late) doubles the work for the next one.
    for (let round = 0; interrupted < 2 && round < 6; round++) {
      const dev = await startDevice(cleanup, dir);
      const user = await loggedIn(cleanup, dev.endpoint, 'user');
      let acksThisRound = 0;
      const requests = Array.from({ length: perRound }, (_, i) => `r${round}-k${i}`).map((label) =>
        user.request('generateKey', { label, algorithm: 'Ed25519', purposes: ['receipt'] }).then(
          () => {
            acknowledged.add(label);
            acksThisRound++;
          },
          () => undefined,
        ),
      );
      // Kill once the device is demonstrably mid-way: after the first acknowledgement, plus a random delay.
      await waitFor(() => acksThisRound > 0, 30_000, 'first key generated');
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
      dev.process.kill('SIGKILL');
      await Promise.all(requests);
      if (acksThisRound < perRound) interrupted++;
      else perRound *= 2;
      await waitFor(() => dev.process.signalCode !== null, 5000, 'process exit');
      const keys = await checkConsistent(dir, [...acknowledged], []);
      expect(keys.length).toBeGreaterThanOrEqual(acknowledged.size);
    }
    // Some keys made it, and the kills really did land mid-way through the work.
    expect(acknowledged.size).toBeGreaterThan(0);
    expect(interrupted).toBe(2);
  }, 180_000);
});
