/**
 * Issue 13 item 9: a log anyone can check. An independent C2SP-style client, written here with
 * node:crypto only (none of the project's Merkle, tile or note code), uses nothing but the public
 * resources of a running gateway, without any credential: the signed checkpoint, the verifier key
 * and the hash tiles. It verifies two checkpoints' signatures, recomputes both roots from the
 * public tiles and so checks that the later tree extends the earlier one. Entry bundles stay
 * behind the regulator credential.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { logRouter } from '../../src/adapters/log/log-router.ts';
import { entries, makeLog } from './helpers/fixtures.ts';
import { leafHashes, mth, openNote, parseVkey } from '../helpers/c2sp-client.ts';

// ---- the gateway ------------------------------------------------------------------------------

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

async function lowActions(n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await h.as('agent', 'GET', '/proxy/payments/balances/acc-1', { headers: { 'idempotency-key': `${tag}-${i}` } });
    expect(r.status).toBe(200);
  }
}

describe('a log anyone can check (no credential)', () => {
  it('a fresh gateway already serves a signed checkpoint', async () => {
    const res = await fetch(`${h.url}/log/checkpoint`);
    expect(res.status).toBe(200);
    const vk = (await (await fetch(`${h.url}/log/v1/verifier-key`)).json()) as { vkey: string; origin: string };
    const cp = openNote(await res.text(), parseVkey(vk.vkey), vk.origin);
    expect(cp.size).toBeGreaterThanOrEqual(0);
  });

  it('two checkpoints are consistent, computed from public hash tiles only', async () => {
    const vk = (await (await fetch(`${h.url}/log/v1/verifier-key`)).json()) as { vkey: string; origin: string };
    const key = parseVkey(vk.vkey);
    await lowActions(8, 'early');
    await h.log.checkpoint();
    const first = openNote(await (await fetch(`${h.url}/log/checkpoint`)).text(), key, vk.origin);
    const early = await leafHashes(h.url, first.size);
    expect(mth(early).equals(first.root)).toBe(true);

    // Grow the tree past one full tile so both full and partial tiles, and a level-1 tile, exist.
    while (await h.log.size() < 300) await lowActions(10, `late-${await h.log.size()}`);
    await h.log.checkpoint();
    const second = openNote(await (await fetch(`${h.url}/log/checkpoint`)).text(), key, vk.origin);
    expect(second.size).toBeGreaterThan(256);
    const late = await leafHashes(h.url, second.size);
    expect(mth(late).equals(second.root)).toBe(true);
    // Consistency: the later tree's first `first.size` leaves are exactly the earlier tree.
    expect(mth(late.slice(0, first.size)).equals(first.root)).toBe(true);
    // And a level-1 tile holds the hash of the first full level-0 tile.
    const l1 = Buffer.from(await (await fetch(`${h.url}/log/tile/1/000.p/1`)).arrayBuffer());
    expect(l1.equals(mth(late.slice(0, 256)))).toBe(true);
  });

  it('cache headers: full tiles immutable, partial ones briefly, readable from any origin', async () => {
    const size = Number((await (await fetch(`${h.url}/log/checkpoint`)).text()).split('\n')[1]);
    expect(size).toBeGreaterThan(256);
    const full = await fetch(`${h.url}/log/tile/0/000`);
    expect(full.status).toBe(200);
    expect(full.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(full.headers.get('access-control-allow-origin')).toBe('*');
    const partial = await fetch(`${h.url}/log/tile/0/001.p/${size - 256}`);
    expect(partial.status).toBe(200);
    expect(partial.headers.get('cache-control')).toBe('public, max-age=60');
  });

  it('entry bundles, entries and proofs stay behind the credential', async () => {
    for (const path of ['/log/tile/entries/000', '/log/tile/entries/000.p/5', '/log/v1/entries/0', '/log/v1/proofs/consistency?from=1']) {
      const res = await fetch(h.url + path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('content-type'), path).toMatch(/^application\/problem\+json/);
    }
    const bundle = await h.as('alice', 'GET', '/log/tile/entries/000');
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
  });
});

describe('tiles are served only within the latest signed checkpoint', () => {
  it('a tile the current tree has but no checkpoint covers is 404, and served once signed', async () => {
    const fx = await makeLog();
    const app = express().use(logRouter(fx.log));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await fx.append(entries(10));
      await fx.log.checkpoint();
      await fx.append(entries(5));
      expect((await fetch(`${base}/log/tile/0/000.p/10`)).status).toBe(200);
      expect((await fetch(`${base}/log/tile/0/000.p/11`)).status).toBe(404);
      await fx.log.checkpoint();
      expect((await fetch(`${base}/log/tile/0/000.p/15`)).status).toBe(200);
    } finally {
      await new Promise((r) => server.close(r));
      await fx.dispose();
    }
  });
});
