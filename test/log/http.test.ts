import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical.ts';
import { verifyConsistencyProof, verifyInclusionProof } from '../../src/core/merkle/proof.ts';
import { decodeEntryBundle, tilePath, tilesForSize, entryBundlesForSize } from '../../src/core/merkle/tile.ts';
import { openCheckpoint } from '../../src/core/checkpoint/checkpoint.ts';
import { logRouter } from '../../src/adapters/log/log-router.ts';
import { entries, makeLog, type LogFixture } from './helpers/fixtures.ts';
import { ReferenceTree } from './helpers/reference-merkle.ts';

// 66,000 entries: full level-0 and level-1 tiles, partial tiles at levels 0, 1 and 2.
const N = 66_000;

let fx: LogFixture;
let server: Server;
let base: string;
let ref: ReferenceTree;
let bodies: string[];

async function get(path: string, init?: RequestInit): Promise<Response> {
  return fetch(`${base}${path}`, init);
}

beforeAll(async () => {
  fx = await makeLog();
  const all = entries(N);
  bodies = all.map((e) => canonicalJson(e));
  ref = new ReferenceTree(bodies.map((b) => Buffer.from(b)));
  const app = express();
  app.use(logRouter(fx.log));
  server = app.listen(0, '127.0.0.1');
  // As the gateway's own server (build.ts): the appends below block this process's loop for seconds on a
  // loaded machine, and with Node's 5 s default the server closed the client's idle keep-alive socket in
  // the same tick as the client reused it (ECONNRESET, seen in loaded runs).
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Nothing signed yet.
  const none = await get('/log/checkpoint');
  expect(none.status).toBe(404);
  expect(none.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  for (let i = 0; i < N; i += 10_000) await fx.append(all.slice(i, i + 10_000));
  await fx.log.checkpoint();
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await fx.dispose();
});

describe('tlog-tiles over HTTP', () => {
  it('serves the signed checkpoint as text/plain that verifies with the published key', async () => {
    const res = await get('/log/checkpoint');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const key = (await (await get('/log/v1/verifier-key')).json()) as { vkey: string; x5c: string[] };
    expect(key.x5c.length).toBe(2);
    const cp = openCheckpoint(await res.text(), key.vkey);
    expect(cp.checkpoint.size).toBe(N);
    expect(cp.checkpoint.rootHash.equals(ref.mth(0, N))).toBe(true);
  });

  it('serves every hash tile, full and partial, matching locally computed hashes', async () => {
    const tiles = tilesForSize(N);
    expect(tiles.map((t) => tilePath(t)).filter((p) => p.includes('.p/'))).toEqual(['tile/0/257.p/208', 'tile/1/001.p/1', 'tile/2/000.p/1']);
    for (const t of tiles) {
      const res = await get(`/log/${tilePath(t)}`);
      expect(res.status, tilePath(t)).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      const body = Buffer.from(await res.arrayBuffer());
      expect(body.length).toBe(t.width * 32);
      const level = t.level as number;
      const span = 256 ** level;
      for (let i = 0; i < t.width; i++) {
        const lo = (t.index * 256 + i) * span;
        expect(body.subarray(i * 32, i * 32 + 32).equals(ref.mth(lo, lo + span)), `${tilePath(t)}[${i}]`).toBe(true);
      }
    }
    // A partial prefix of a full tile is served too (it is fixed once those hashes exist).
    const prefix = Buffer.from(await (await get('/log/tile/0/000.p/3')).arrayBuffer());
    expect(prefix.equals(Buffer.from(await (await get('/log/tile/0/000')).arrayBuffer()).subarray(0, 96))).toBe(true);
  });

  it('serves entry bundles as uint16-length-prefixed canonical entries', async () => {
    for (const t of [entryBundlesForSize(N)[0], entryBundlesForSize(N)[100], entryBundlesForSize(N).at(-1)]) {
      const coord = t as NonNullable<typeof t>;
      const res = await get(`/log/${tilePath(coord)}`);
      expect(res.status).toBe(200);
      const decoded = decodeEntryBundle(Buffer.from(await res.arrayBuffer())).map((b) => b.toString('utf8'));
      expect(decoded).toEqual(bodies.slice(coord.index * 256, coord.index * 256 + coord.width));
    }
  });

  it('serves entries, action lookups and proofs as JSON', async () => {
    const e = (await (await get('/log/v1/entries/12345')).json()) as { index: number; canonical: string; leafHash: string; entry: { seq: number } };
    expect(e.index).toBe(12345);
    expect(e.canonical).toBe(bodies[12345]);
    expect(e.entry.seq).toBe(12345);
    const byAction = (await (await get('/log/v1/entries?actionId=act_7')).json()) as { entries: { index: number }[] };
    expect(byAction.entries.map((x) => x.index)).toEqual([14, 15]);
    const byType = (await (await get('/log/v1/entries?type=test.received&limit=3&after=3')).json()) as { entries: { index: number }[] };
    expect(byType.entries.map((x) => x.index)).toEqual([6, 9, 12]);

    const inc = (await (await get('/log/v1/proofs/inclusion?index=65999&size=66000')).json()) as {
      leafHash: string;
      rootHash: string;
      hashes: string[];
    };
    const b = (s: string): Buffer => Buffer.from(s, 'base64');
    verifyInclusionProof(65999, 66000, b(inc.leafHash), inc.hashes.map(b), ref.mth(0, N));
    const dflt = (await (await get('/log/v1/proofs/inclusion?index=7')).json()) as { size: number };
    expect(dflt.size).toBe(N);
    const con = (await (await get('/log/v1/proofs/consistency?from=1000&to=66000')).json()) as { hashes: string[] };
    verifyConsistencyProof(1000, 66000, ref.mth(0, 1000), ref.mth(0, N), con.hashes.map(b));
  });

  it.each([
    ['/log/v1/entries/66000', 404],
    ['/log/v1/entries/-1', 400],
    ['/log/v1/entries/abc', 400],
    ['/log/v1/entries/01', 400],
    ['/log/v1/entries/1e3', 400],
    ['/log/v1/entries/99999999999999999999', 400],
    ['/log/v1/entries/9007199254740993', 400],
    ['/log/v1/entries/%E0%A4%A', 400],
    ['/log/v1/entries', 400],
    ['/log/v1/entries?actionId=a&actionId=b', 400],
    ['/log/v1/entries?since=-5', 400],
    ['/log/v1/entries?type=x&limit=100000', 400],
    ['/log/v1/proofs/inclusion', 400],
    ['/log/v1/proofs/inclusion?index=x&size=5', 400],
    ['/log/v1/proofs/inclusion?index=5&size=5', 400],
    ['/log/v1/proofs/inclusion?index=5&size=66001', 404],
    ['/log/v1/proofs/inclusion?index=5&size=1000000000000000', 404],
    ['/log/v1/proofs/inclusion?index=5&size=9223372036854775808', 400],
    ['/log/v1/proofs/inclusion?index=%20&size=5', 400],
    ['/log/v1/proofs/consistency?from=10&to=5', 400],
    ['/log/v1/proofs/consistency?from=10&to=70000', 404],
    ['/log/v1/proofs/consistency?to=10', 400],
    ['/log/tile/0/x000/005', 400],
    ['/log/tile/0/5', 400],
    ['/log/tile/00/000', 400],
    ['/log/tile/64/000', 400],
    ['/log/tile/0/000.p/0', 400],
    ['/log/tile/0/000.p/256', 400],
    ['/log/tile/0/258', 404],
    ['/log/tile/0/257', 404],
    ['/log/tile/0/257.p/209', 404],
    ['/log/tile/3/000.p/1', 404],
    ['/log/tile/2/000', 404],
    ['/log/tile/entries/258', 404],
    ['/log/tile/entries/x999/x999/999', 404],
    ['/log/tile/entries/x999/x999/x999/x999/x999/999', 400],
    ['/log/tile/', 404],
    ['/log/nothing', 404],
  ])('GET %s -> %i problem+json', async (path, status) => {
    const res = await get(path);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const p = (await res.json()) as Record<string, unknown>;
    expect(p['status']).toBe(status);
    expect(String(p['type'])).toMatch(/^https:\/\/analog-firewall\.dev\/problems\/[a-z-]+$/);
    expect(typeof p['title']).toBe('string');
    expect(typeof p['detail']).toBe('string');
  });

  it('answers other methods with 405 problem+json', async () => {
    const res = await get('/log/checkpoint', { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});
