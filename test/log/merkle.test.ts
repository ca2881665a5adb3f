import { describe, expect, it } from 'vitest';
import { isFirewallError } from '../../src/core/errors.ts';
import { EMPTY_ROOT, leafHash, nodeHash } from '../../src/core/merkle/hash.ts';
import {
  consistencyProof,
  inclusionProof,
  isValidConsistencyProof,
  isValidInclusionProof,
  rootHash,
  verifyConsistencyProof,
  verifyInclusionProof,
  type HashSource,
} from '../../src/core/merkle/proof.ts';
import { decompose, Frontier } from '../../src/core/merkle/frontier.ts';
import { parseSafeUint, parseUint63, splitPoint } from '../../src/core/merkle/tree-size.ts';
import {
  decodeEntryBundle,
  encodeEntryBundle,
  encodeTileIndex,
  parseTilePath,
  tileExists,
  tilePath,
  tilesForSize,
} from '../../src/core/merkle/tile.ts';
import { ReferenceTree, refLeaf } from './helpers/reference-merkle.ts';

/** In-memory store of every complete subtree, filled through Frontier's node sink. */
class MemoryTree implements HashSource {
  readonly nodes = new Map<string, Uint8Array>();
  readonly frontier = Frontier.empty();
  add(entry: Uint8Array): void {
    const leaf = leafHash(entry);
    this.nodes.set(`0:${this.frontier.size}`, leaf);
    this.frontier.append(leaf, (level, index, hash) => this.nodes.set(`${level}:${index}`, hash));
  }
  node(level: number, index: number): Uint8Array {
    const h = this.nodes.get(`${level}:${index}`);
    if (!h) throw new Error(`missing node ${level}:${index}`);
    return h;
  }
}

function data(n: number, seed = 0): Buffer[] {
  return Array.from({ length: n }, (_, i) => Buffer.from(`entry-${seed}-${i}`));
}

const hex = (bs: readonly Uint8Array[]): string[] => bs.map((b) => Buffer.from(b).toString('hex'));

function flip(b: Uint8Array): Buffer {
  const c = Buffer.from(b);
  c[0] = (c[0] as number) ^ 1;
  return c;
}

describe('RFC 9162 hashing', () => {
  it('leaf and node hashes use the 0x00 / 0x01 prefixes', () => {
    expect(leafHash(Buffer.from('abc')).toString('hex')).toBe(refLeaf(Buffer.from('abc')).toString('hex'));
    expect(leafHash('é')).toEqual(leafHash(Buffer.from('é', 'utf8')));
    expect(EMPTY_ROOT.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const l = leafHash('a');
    const r = leafHash('b');
    expect(nodeHash(l, r)).toEqual(new ReferenceTree([Buffer.from('a'), Buffer.from('b')]).mth(0, 2));
  });
});

describe('proofs against the recursive RFC 9162 reference, sizes 1..300', () => {
  const N = 300;
  const d = data(N);
  const ref = new ReferenceTree(d);
  const tree = new MemoryTree();
  const roots: Uint8Array[] = [EMPTY_ROOT];
  for (const e of d) {
    tree.add(e);
    roots.push(tree.frontier.root());
  }

  it('tree heads match MTH for every size, from storage and from the frontier', () => {
    for (let n = 0; n <= N; n++) {
      expect(Buffer.from(rootHash(tree, n)).equals(ref.mth(0, n))).toBe(true);
      expect(Buffer.from(roots[n] as Uint8Array).equals(ref.mth(0, n))).toBe(true);
    }
  });

  it('inclusion proofs equal PATH(m, D[n]) and verify, for every (m, n)', () => {
    for (let n = 1; n <= N; n++) {
      const root = ref.mth(0, n);
      for (let m = 0; m < n; m++) {
        const proof = inclusionProof(tree, m, n);
        expect(hex(proof)).toEqual(hex(ref.path(m, 0, n)));
        const leaf = refLeaf(d[m] as Uint8Array);
        verifyInclusionProof(m, n, leaf, proof, root);
      }
    }
  });

  it('consistency proofs equal PROOF(m, D[n]) and verify, for every 0 < m <= n', () => {
    for (let n = 1; n <= N; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(tree, m, n);
        expect(hex(proof)).toEqual(hex(ref.proof(m, n)));
        verifyConsistencyProof(m, n, ref.mth(0, m), ref.mth(0, n), proof);
      }
    }
  });

  it('rejects tampered inclusion proofs', () => {
    for (const [m, n] of [
      [0, 1],
      [0, 2],
      [5, 6],
      [6, 7],
      [17, 100],
      [255, 256],
      [128, 300],
      [299, 300],
    ] as const) {
      const root = ref.mth(0, n);
      const leaf = refLeaf(d[m] as Uint8Array);
      const proof = inclusionProof(tree, m, n);
      expect(isValidInclusionProof(m, n, leaf, proof, root)).toBe(true);
      expect(isValidInclusionProof(m, n, flip(leaf), proof, root)).toBe(false);
      expect(isValidInclusionProof(m, n, leaf, proof, flip(root))).toBe(false);
      // (A proof's shape can coincide for neighbouring sizes; the root from a signed checkpoint binds the size.)
      expect(isValidInclusionProof(n, n, leaf, proof, root)).toBe(false);
      expect(isValidInclusionProof(m, n, leaf, [...proof, leaf], root)).toBe(false);
      if (proof.length > 0) {
        expect(isValidInclusionProof(m, n, leaf, proof.slice(1), root)).toBe(false);
        expect(isValidInclusionProof(m, n, leaf, [flip(proof[0] as Uint8Array), ...proof.slice(1)], root)).toBe(false);
        expect(isValidInclusionProof(m, n, leaf, [...proof].reverse(), root)).toBe(proof.length === 1);
      }
    }
  });

  it('rejects tampered consistency proofs', () => {
    for (const [m, n] of [
      [1, 2],
      [3, 7],
      [4, 7],
      [6, 8],
      [8, 9],
      [100, 300],
      [256, 257],
      [299, 300],
    ] as const) {
      const a = ref.mth(0, m);
      const b = ref.mth(0, n);
      const proof = consistencyProof(tree, m, n);
      expect(isValidConsistencyProof(m, n, a, b, proof)).toBe(true);
      expect(isValidConsistencyProof(m, n, flip(a), b, proof)).toBe(false);
      expect(isValidConsistencyProof(m, n, a, flip(b), proof)).toBe(false);
      expect(isValidConsistencyProof(n, m, b, a, proof)).toBe(false);
      expect(isValidConsistencyProof(m, n, a, b, [])).toBe(false);
      expect(isValidConsistencyProof(m, n, a, b, [...proof, a])).toBe(false);
      expect(isValidConsistencyProof(m, n, a, b, proof.map((p, i) => (i === proof.length - 1 ? flip(p) : p)))).toBe(false);
    }
  });

  it('handles the degenerate sizes', () => {
    expect(consistencyProof(tree, 0, 5)).toEqual([]);
    expect(consistencyProof(tree, 5, 5)).toEqual([]);
    verifyConsistencyProof(0, 5, EMPTY_ROOT, ref.mth(0, 5), []);
    verifyConsistencyProof(5, 5, ref.mth(0, 5), ref.mth(0, 5), []);
    expect(isValidConsistencyProof(5, 5, ref.mth(0, 5), ref.mth(0, 4), [])).toBe(false);
    expect(isValidConsistencyProof(0, 5, ref.mth(0, 1), ref.mth(0, 5), [])).toBe(false);
    expect(() => inclusionProof(tree, 5, 5)).toThrow();
    expect(() => consistencyProof(tree, 6, 5)).toThrow();
    expect(rootHash(tree, 0)).toEqual(EMPTY_ROOT);
  });
});

describe('random large sizes', () => {
  it('sampled proofs for trees up to 5,000 leaves agree with the reference', () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const N = 5000;
    const d = data(N, 7);
    const ref = new ReferenceTree(d);
    const tree = new MemoryTree();
    for (const e of d) tree.add(e);
    for (let t = 0; t < 200; t++) {
      const n = 1 + rand(N);
      const m = rand(n);
      expect(hex(inclusionProof(tree, m, n))).toEqual(hex(ref.path(m, 0, n)));
      const c = 1 + rand(n);
      expect(hex(consistencyProof(tree, c, n))).toEqual(hex(ref.proof(c, n)));
      verifyConsistencyProof(c, n, ref.mth(0, c), ref.mth(0, n), consistencyProof(tree, c, n));
    }
  });

  it('frontier decomposition and rebuild', () => {
    expect(decompose(13)).toEqual([
      { level: 3, index: 0 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    const tree = new MemoryTree();
    for (const e of data(77)) tree.add(e);
    const rebuilt = Frontier.fromHashes(77, decompose(77).map((r) => tree.node(r.level, r.index)));
    expect(rebuilt.root()).toEqual(tree.frontier.root());
    expect(() => Frontier.fromHashes(77, [])).toThrow();
  });
});

describe('tree sizes are parsed defensively', () => {
  it('accepts canonical decimals', () => {
    expect(parseUint63('0')).toBe(0n);
    expect(parseUint63('9223372036854775807')).toBe(2n ** 63n - 1n);
    expect(parseSafeUint('1000000')).toBe(1_000_000);
  });
  it.each(['', '-1', '+1', '01', '00', ' 1', '1 ', '1.0', '1e3', '0x10', 'abc', '9223372036854775808', '99999999999999999999', '１'])(
    'rejects %j',
    (s) => {
      expect(() => parseUint63(s)).toThrow();
    },
  );
  it('rejects non-strings and values beyond 2^53 for in-memory use', () => {
    expect(() => parseUint63(5 as unknown as string)).toThrow();
    try {
      parseSafeUint('9007199254740993');
      expect.fail('should throw');
    } catch (e) {
      expect(isFirewallError(e, 'MERKLE_NUMBER_UNSUPPORTED')).toBe(true);
    }
  });
  it('split point is the largest power of two below n', () => {
    expect([2, 3, 4, 5, 8, 9, 1025].map(splitPoint)).toEqual([1, 2, 2, 4, 4, 8, 1024]);
    expect(splitPoint(2 ** 53 - 1)).toBe(2 ** 52);
  });
});

describe('tlog-tiles coordinates', () => {
  it('encodes indexes in x-prefixed groups', () => {
    expect(encodeTileIndex(0)).toBe('000');
    expect(encodeTileIndex(5)).toBe('005');
    expect(encodeTileIndex(1000)).toBe('x001/000');
    expect(encodeTileIndex(1234067)).toBe('x001/x234/067');
    expect(tilePath({ level: 0, index: 1234067, width: 256 })).toBe('tile/0/x001/x234/067');
    expect(tilePath({ level: 2, index: 3, width: 17 })).toBe('tile/2/003.p/17');
    expect(tilePath({ level: 'entries', index: 1, width: 256 })).toBe('tile/entries/001');
  });
  it('parses only canonical paths', () => {
    expect(parseTilePath('tile/0/x001/x234/067')).toEqual({ level: 0, index: 1234067, width: 256 });
    expect(parseTilePath('tile/1/000.p/5')).toEqual({ level: 1, index: 0, width: 5 });
    expect(parseTilePath('tile/entries/x001/234.p/255')).toEqual({ level: 'entries', index: 1234, width: 255 });
    for (const bad of [
      'tile/0/1',
      'tile/0/0001',
      'tile/00/000',
      'tile/64/000',
      'tile/-1/000',
      'tile/0/x000/005',
      'tile/0/001/234',
      'tile/0/x001',
      'tile/0/000.p/0',
      'tile/0/000.p/256',
      'tile/0/000.p/05',
      'tile/0/000.p/',
      'tile/0/000.p',
      'tile/0/abc',
      'tiles/0/000',
      'tile/0',
      'tile/entries/000.p/1/2',
      'tile/0/x999/x999/x999/x999/x999/x999/999',
    ]) {
      expect(() => parseTilePath(bad), bad).toThrow();
    }
  });
  it('lists the tiles of a tree as the spec describes for 70,000', () => {
    const tiles = tilesForSize(70_000);
    const full0 = tiles.filter((t) => t.level === 0 && t.width === 256).length;
    expect(full0).toBe(273);
    expect(tiles.find((t) => t.level === 0 && t.width < 256)).toEqual({ level: 0, index: 273, width: 112 });
    expect(tiles.filter((t) => t.level === 1)).toEqual([
      { level: 1, index: 0, width: 256 },
      { level: 1, index: 1, width: 17 },
    ]);
    expect(tiles.filter((t) => t.level === 2)).toEqual([{ level: 2, index: 0, width: 1 }]);
    expect(tilesForSize(256).map((t) => tilePath(t))).toEqual(['tile/0/000', 'tile/1/000.p/1']);
    expect(tileExists({ level: 0, index: 0, width: 256 }, 255)).toBe(false);
    expect(tileExists({ level: 0, index: 0, width: 255 }, 255)).toBe(true);
    expect(tileExists({ level: 0, index: 0, width: 100 }, 255)).toBe(true);
  });
  it('entry bundles are uint16-length-prefixed', () => {
    const enc = encodeEntryBundle(['ab', Buffer.from([1, 2, 3]), '']);
    expect(enc.toString('hex')).toBe('00026162' + '0003010203' + '0000');
    expect(decodeEntryBundle(enc).map((b) => b.toString('hex'))).toEqual(['6162', '010203', '']);
    expect(() => decodeEntryBundle(enc.subarray(0, 5))).toThrow();
    expect(() => decodeEntryBundle(Buffer.from([0]))).toThrow();
    expect(() => encodeEntryBundle([Buffer.alloc(65536)])).toThrow();
  });
});
