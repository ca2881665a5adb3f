/**
 * Issue 13 item 9: a log anyone can check. An independent C2SP-style client, written here with
 * node:crypto only (none of the project's Merkle, tile or note code), uses nothing but the public
 * resources of a running gateway, without any credential: the signed checkpoint, the verifier key
 * and the hash tiles. It verifies two checkpoints' signatures, recomputes both roots from the
 * public tiles and so checks that the later tree extends the earlier one. Entry bundles stay
 * behind the regulator credential.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { logRouter } from '../../src/adapters/log/log-router.ts';
import { entries, makeLog } from './helpers/fixtures.ts';

// ---- the independent client -------------------------------------------------------------------

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

/** RFC 6962 Merkle tree hash over leaf hashes (the tiles hold leaf hashes already). */
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha256(Buffer.alloc(0));
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(Buffer.from([1]), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** C2SP signed-note verifier key `<name>+<hex key id>+<base64(0x01 || Ed25519 public key)>`. */
function parseVkey(vkey: string): { name: string; keyId: Buffer; publicKey: Buffer } {
  // The base64 part may itself contain '+': split at the first two only.
  const a = vkey.indexOf('+');
  const b = vkey.indexOf('+', a + 1);
  const [name, hexId, b64] = [vkey.slice(0, a), vkey.slice(a + 1, b), vkey.slice(b + 1)];
  const raw = Buffer.from(b64!, 'base64');
  expect(raw[0]).toBe(0x01);
  const publicKey = raw.subarray(1);
  const keyId = sha256(Buffer.from(name!), Buffer.from([0x0a, 0x01]), publicKey).subarray(0, 4);
  expect(keyId.toString('hex')).toBe(hexId);
  return { name: name!, keyId, publicKey };
}

/** Verify a C2SP checkpoint note with the key; return its size and root hash. */
function openNote(note: string, key: ReturnType<typeof parseVkey>, origin: string): { size: number; root: Buffer } {
  const split = note.indexOf('\n\n');
  const text = note.slice(0, split + 1);
  const sigLines = note.slice(split + 2).split('\n').filter((l) => l !== '');
  const spki = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), key.publicKey]), format: 'der', type: 'spki' });
  const ours = sigLines.filter((l) => l.startsWith(`\u2014 ${key.name} `)).map((l) => Buffer.from(l.split(' ')[2]!, 'base64'));
  expect(ours.some((s) => s.subarray(0, 4).equals(key.keyId) && verify(null, Buffer.from(text), spki, s.subarray(4)))).toBe(true);
  const [o, size, root] = text.split('\n');
  expect(o).toBe(origin);
  return { size: Number(size), root: Buffer.from(root!, 'base64') };
}

/** tlog-tiles index path: 3-digit groups, all but the last prefixed with x. */
function tileIndex(n: number): string {
  const groups: string[] = [];
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

/** Every leaf hash of a tree of `size`, from level-0 tiles only (full, then the partial one). */
async function leafHashes(base: string, size: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let n = 0; n * 256 < size; n++) {
    const w = Math.min(256, size - n * 256);
    const res = await fetch(`${base}/log/tile/0/${tileIndex(n)}${w < 256 ? `.p/${w}` : ''}`);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(w * 32);
    for (let i = 0; i < w; i++) out.push(body.subarray(i * 32, i * 32 + 32));
  }
  return out;
}

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
