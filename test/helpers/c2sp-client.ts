/**
 * An independent C2SP client (tlog-checkpoint, signed-note, tlog-tiles), written with node:crypto
 * only: none of the project's Merkle, tile or note code. It uses nothing but a log's public
 * resources (the checkpoint, the verifier key, the hash tiles), as any outside party would.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { expect } from 'vitest';

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

/** RFC 6962 Merkle tree hash over leaf hashes (the tiles hold leaf hashes already). */
export function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha256(Buffer.alloc(0));
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(Buffer.from([1]), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** C2SP signed-note verifier key `<name>+<hex key id>+<base64(0x01 || Ed25519 public key)>`. */
export function parseVkey(vkey: string): { name: string; keyId: Buffer; publicKey: Buffer } {
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
export function openNote(note: string, key: ReturnType<typeof parseVkey>, origin: string): { size: number; root: Buffer } {
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
export function tileIndex(n: number): string {
  const groups: string[] = [];
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

/** Every leaf hash of a tree of `size`, from level-0 tiles only (full, then the partial one). */
export async function leafHashes(base: string, size: number, get: (url: string) => Promise<Response> = fetch): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let n = 0; n * 256 < size; n++) {
    const w = Math.min(256, size - n * 256);
    const res = await get(`${base}/log/tile/0/${tileIndex(n)}${w < 256 ? `.p/${w}` : ''}`);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(w * 32);
    for (let i = 0; i < w; i++) out.push(body.subarray(i * 32, i * 32 + 32));
  }
  return out;
}
