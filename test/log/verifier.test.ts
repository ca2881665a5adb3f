import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/core/canonical.ts';
import { checkpointKeyFromJwk, formatCheckpoint, signCheckpoint } from '../../src/core/checkpoint/checkpoint.ts';
import { cosignatureLine, witnessVerifierKey } from '../../src/core/checkpoint/cosignature.ts';
import { parseSignedNote } from '../../src/core/checkpoint/note.ts';
import type { ExportBundle } from '../../src/core/checkpoint/bundle-format.ts';
import { buildExportBundle, writeTileDirectory } from '../../src/adapters/log/export-bundle.ts';
import { verifyBundle, formatReport, type VerificationReport, type VerificationRule } from '../../clients/regulator/verify-bundle.ts';
import { createTestPki } from './helpers/pki.ts';
import { TestEd25519Signer } from './helpers/test-signer.ts';
import { entries, makeLog, type LogFixture } from './helpers/fixtures.ts';

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, '../../clients/regulator/main.ts');

let fx: LogFixture;
let full: ExportBundle;
let partial: ExportBundle;

beforeAll(async () => {
  fx = await makeLog();
  await fx.append(entries(300));
  await fx.log.checkpoint();
  await fx.append(entries(400, 300));
  await fx.log.checkpoint();
  await fx.append(entries(300, 700));
  full = await buildExportBundle(fx.log); // signs the checkpoint at 1000
  await fx.append(entries(50, 1000)); // not yet checkpointed
  partial = await buildExportBundle(fx.log, { fromIndex: 100, toIndex: 900, freshCheckpoint: false });
});

afterAll(async () => {
  await fx.dispose();
});

const clone = (b: ExportBundle): ExportBundle => structuredClone(b);
const opts = (): { rootPem: string } => ({ rootPem: fx.pki.rootPem });

function failed(r: VerificationReport): string[] {
  return r.checks.filter((c) => c.status === 'fail').map((c) => c.id);
}
function findings(r: VerificationReport, check: string): string[] {
  return r.findings.filter((f) => f.check === check).map((f) => f.message);
}
function indexes(r: VerificationReport, check: string): number[] {
  return r.findings.filter((f) => f.check === check && f.index !== undefined).map((f) => f.index as number);
}

describe('verifyBundle on untampered exports', () => {
  it('verifies a full export and a partial range', async () => {
    expect(full.range).toEqual({ start: 0, end: 1000 });
    expect(full.checkpoints).toHaveLength(3);
    const r = await verifyBundle(full, opts());
    expect(failed(r)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.latestCheckpoint?.size).toBe(1000);

    expect(partial.range).toEqual({ start: 100, end: 900 });
    expect(partial.proofs.leftFrontier.length).toBeGreaterThan(0);
    expect(partial.proofs.toLatest.length).toBeGreaterThan(0);
    const p = await verifyBundle(JSON.stringify(partial), opts());
    expect(failed(p)).toEqual([]);
    expect(formatReport(p)).toMatch(/RESULT: VERIFIED/);
  });

  it('exports by time range', async () => {
    const first = full.entries[250] as { entry: string };
    const ts = (JSON.parse(first.entry) as { ts: number }).ts;
    const b = await buildExportBundle(fx.log, { since: ts, until: ts + 10, freshCheckpoint: false });
    expect(b.range).toEqual({ start: 250, end: 260 });
    expect((await verifyBundle(b, opts())).ok).toBe(true);
  });
});

describe('verifyBundle names each tampering', () => {
  it('a flipped byte in an entry', async () => {
    const b = clone(partial);
    const e = b.entries[437] as { index: number; entry: string };
    e.entry = e.entry.replace('"seq":537', '"seq":538');
    const r = await verifyBundle(b, opts());
    expect(r.ok).toBe(false);
    expect(failed(r)).toEqual(['entry.inclusion']);
    expect(indexes(r, 'entry.inclusion')).toEqual([537]);
    expect(findings(r, 'entry.inclusion')[0]).toMatch(/entry 537 .*altered entry/);
  });

  it('a flipped byte that breaks the JSON', async () => {
    const b = clone(partial);
    const e = b.entries[0] as { entry: string };
    e.entry = e.entry.replace('{', '[');
    const r = await verifyBundle(b, opts());
    expect(failed(r).sort()).toEqual(['entries.envelope', 'entry.inclusion']);
    expect(indexes(r, 'entry.inclusion')).toEqual([100]);
    expect(indexes(r, 'entries.envelope')).toEqual([100]);
  });

  it('a non-canonical re-encoding of an entry', async () => {
    const b = clone(partial);
    const e = b.entries[1] as { entry: string };
    e.entry = JSON.stringify(JSON.parse(e.entry), null, 1);
    const r = await verifyBundle(b, opts());
    expect(indexes(r, 'entries.envelope')).toEqual([101]);
    expect(findings(r, 'entries.envelope')[0]).toMatch(/canonical/);
    expect(indexes(r, 'entry.inclusion')).toEqual([101]);
  });

  it('a dropped entry', async () => {
    const b = clone(partial);
    b.entries.splice(200, 1);
    const r = await verifyBundle(b, opts());
    expect(failed(r)).toEqual(['entries.sequence']);
    expect(findings(r, 'entries.sequence')).toEqual(['entry 300 is missing (entry removed)']);
  });

  it('two reordered entries', async () => {
    const b = clone(partial);
    [b.entries[10], b.entries[11]] = [b.entries[11] as never, b.entries[10] as never];
    const r = await verifyBundle(b, opts());
    expect(failed(r)).toEqual(['entries.sequence']);
    expect(indexes(r, 'entries.sequence')).toEqual([110]);
    expect(findings(r, 'entries.sequence')[0]).toMatch(/entry 110 at position 11 comes after entry 111 \(entries reordered\)/);
  });

  it('two entries whose contents were swapped in place', async () => {
    const b = clone(partial);
    const x = b.entries[10] as { entry: string };
    const y = b.entries[11] as { entry: string };
    [x.entry, y.entry] = [y.entry, x.entry];
    const r = await verifyBundle(b, opts());
    expect(failed(r)).toEqual(['entry.inclusion']);
    expect(indexes(r, 'entry.inclusion')).toEqual([110, 111]);
  });

  it('a truncated entry list, and a truncated file', async () => {
    const b = clone(partial);
    b.entries.length = 750;
    const r = await verifyBundle(b, opts());
    expect(failed(r)).toEqual(['entries.sequence']);
    expect(findings(r, 'entries.sequence')).toEqual(['entries 850..899 are missing (50 entries) (bundle truncated)']);

    const text = JSON.stringify(partial);
    const t = await verifyBundle(text.slice(0, text.length - 1000), opts());
    expect(failed(t)).toEqual(['bundle.format']);
    expect(findings(t, 'bundle.format')[0]).toMatch(/not valid JSON/);
  });

  it('an inserted entry', async () => {
    const b = clone(partial);
    b.entries.splice(300, 0, { index: 400, entry: '{"type":"action.approved","v":1}' });
    const r = await verifyBundle(b, opts());
    expect(failed(r).sort()).toEqual(['entries.sequence', 'entry.inclusion']);
    expect(indexes(r, 'entry.inclusion')).toEqual([400]);
    expect(findings(r, 'entries.sequence')[0]).toMatch(/entry 400 appears more than once/);

    const c = clone(partial);
    c.entries.push({ index: 1020, entry: '{"type":"action.approved","v":1}' });
    const s = await verifyBundle(c, opts());
    expect(failed(s).sort()).toEqual(['entries.checkpointed', 'entries.sequence', 'entry.inclusion']);
    expect(indexes(s, 'entries.checkpointed')).toEqual([1020]);
  });

  it('an inserted entry with every later index renumbered', async () => {
    const b = clone(partial);
    b.entries.splice(5, 0, { index: 105, entry: '{"type":"action.approved","v":1}' });
    b.entries.forEach((e, i) => (e.index = 100 + i));
    b.entries.pop();
    const r = await verifyBundle(b, opts());
    expect(failed(r)).toEqual(['entry.inclusion']);
    expect(indexes(r, 'entry.inclusion')[0]).toBe(105);
    expect(r.checks.find((c) => c.id === 'entry.inclusion')?.errors).toBe(795);
  });

  it('a replaced checkpoint', async () => {
    // Signed by someone else's key under the log's name.
    const forger = new TestEd25519Signer();
    const key = checkpointKeyFromJwk(fx.log.origin, (await forger.publicKey('checkpoint')).jwk);
    const forged = await signCheckpoint(forger, key, formatCheckpoint({ origin: fx.log.origin, size: 700, rootHash: Buffer.alloc(32, 1), extensions: [] }));
    const b = clone(full);
    (b.checkpoints[1] as { note: string }).note = forged.note;
    const r = await verifyBundle(b, opts());
    expect(failed(r)).toEqual(['checkpoint.signature']);
    expect(r.findings.find((f) => f.check === 'checkpoint.signature')?.checkpoint).toBe(1);
    expect(findings(r, 'checkpoint.signature')[0]).toMatch(/checkpoints\[1\] \(size 700\): note carries no signature from a trusted key/);

    // The latest checkpoint swapped for an older genuine one.
    const c = clone(full);
    c.checkpoints[2] = c.checkpoints[0] as never;
    const s = await verifyBundle(c, opts());
    expect(failed(s).sort()).toEqual(['checkpoint.order', 'entries.checkpointed', 'tree.range']);

    // A checkpoint removed from the chain.
    const e = clone(full);
    e.checkpoints.splice(1, 1);
    const u = await verifyBundle(e, opts());
    expect(failed(u)).toEqual(['checkpoint.consistency']);
    expect(findings(u, 'checkpoint.consistency')[0]).toMatch(/no consistency proof from size 300 to size 1000/);

    // A body edit under the genuine signature.
    const d = clone(full);
    const cp = d.checkpoints[2] as { note: string };
    cp.note = cp.note.replace('\n1000\n', '\n1001\n');
    const t = await verifyBundle(d, opts());
    expect(failed(t)).toContain('checkpoint.signature');
    expect(findings(t, 'checkpoint.signature')[0]).toMatch(/checkpoints\[2\].*does not verify/);
  });

  it('altered proofs, keys and attestation', async () => {
    const b = clone(partial);
    const leaves = Buffer.from(b.proofs.leafHashes, 'base64');
    leaves[160] = (leaves[160] as number) ^ 1;
    b.proofs.leafHashes = leaves.toString('base64');
    const r = await verifyBundle(b, opts());
    expect(failed(r).sort()).toEqual(['entry.inclusion', 'tree.range']);
    expect(findings(r, 'entry.inclusion')[0]).toMatch(/entry 105 .*unauthenticated/);

    const c = clone(full);
    (c.proofs.checkpointConsistency[0] as { hashes: string[] }).hashes.reverse();
    expect(failed(await verifyBundle(c, opts()))).toEqual(['checkpoint.consistency']);

    const d = clone(full);
    d.verifierKey.x5c = [d.verifierKey.x5c[0] as string];
    const other = createTestPki('Other Root');
    try {
      // Chain not anchored at the pinned root.
      expect(failed(await verifyBundle(full, { rootPem: other.rootPem }))).toEqual(['key.attestation']);
      // Leaf alone still chains to the pinned root.
      expect(failed(await verifyBundle(d, opts()))).toEqual([]);
      // Attested certificate for another key.
      const e = clone(full);
      e.verifierKey.x5c = [other.issue(generateKeyPairSync('ed25519').publicKey, 'x'), other.rootB64];
      expect(findings(await verifyBundle(e, { rootPem: other.rootPem }), 'key.attestation')[0]).toMatch(/different key/);
      // Expired at the verification time.
      expect(findings(await verifyBundle(full, { ...opts(), at: Date.now() + 400 * 86_400_000 }), 'key.attestation')[0]).toMatch(/not valid at/);
    } finally {
      other.dispose();
    }
    const f = clone(full);
    f.verifierKey.vkey = f.verifierKey.vkey.replace(/\+([0-9a-f]{8})\+/, '+00000000+');
    expect(failed(await verifyBundle(f, opts()))).toContain('key.verifier');
  });

  it('structural garbage is reported, not thrown', async () => {
    for (const junk of [null, 42, 'nope', [], {}, { ...full, format: 'other' }, { ...full, range: { start: 5, end: 1 } }, { ...full, checkpoints: [] }]) {
      const r = await verifyBundle(junk, opts());
      expect(r.ok).toBe(false);
      expect(failed(r)).toContain('bundle.format');
    }
    const b = clone(partial);
    (b.entries as unknown[])[3] = { index: -1, entry: 5 };
    const r = await verifyBundle(b, opts());
    expect(r.findings.find((f) => f.check === 'bundle.format')?.position).toBe(3);
    expect(findings(r, 'entries.sequence')).toEqual(['entry 103 is missing (entry removed)']);
  });
});

describe('pluggable rules, JWKS, policies and witnesses', () => {
  it('runs extra rules over the entry sequence', async () => {
    const seen: number[] = [];
    const noSeq500: VerificationRule = {
      id: 'test.no-500',
      title: 'no entry with seq 500',
      begin: (ctx) => ({
        entry(e) {
          seen.push(e.index);
          if (e.value?.['seq'] === 500) ctx.fail(`entry ${e.index} has seq 500`, { index: e.index });
        },
      }),
    };
    const r = await verifyBundle(partial, { ...opts(), rules: [noSeq500] });
    expect(failed(r)).toEqual(['test.no-500']);
    expect(indexes(r, 'test.no-500')).toEqual([500]);
    expect(seen).toHaveLength(800);
  });

  it('checks JWKS attestation and policy digests', async () => {
    const good = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = { ...good.publicKey.export({ format: 'jwk' }), kid: 'receipt-1', x5c: [fx.pki.issue(good.publicKey, 'receipt'), fx.pki.rootB64] };
    const liar = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid: 'receipt-2', x5c: jwk.x5c };
    const source = 'tiers:\n  HIGH: 1\n';
    const b = await buildExportBundle(fx.log, {
      fromIndex: 990,
      freshCheckpoint: false,
      jwks: { keys: [jwk] },
      policyVersions: [{ version: 'p1', digest: sha256Hex(source), source }],
    });
    expect((await verifyBundle(b, opts())).ok).toBe(true);
    b.jwks.keys.push(liar, { kty: 'OKP', crv: 'Ed25519', x: 'AAAA', kid: 'bare' });
    b.policyVersions.push({ version: 'p2', digest: sha256Hex('x'), source: 'y' });
    const r = await verifyBundle(b, opts());
    expect(failed(r).sort()).toEqual(['jwks.attestation', 'policy.digest']);
    expect(findings(r, 'jwks.attestation')).toEqual(['key "receipt-2": the attested certificate is for a different key', 'key "bare" has no x5c attestation chain']);
    expect(findings(r, 'policy.digest')).toEqual(['policy "p2": source does not match its digest']);
  });

  it('requires a quorum of witness cosignatures when witnesses are pinned', async () => {
    const w = generateKeyPairSync('ed25519');
    const raw = Buffer.from(w.publicKey.export({ format: 'jwk' }).x as string, 'base64url');
    const vkey = witnessVerifierKey('witness.test/w1', raw);
    const b = clone(full);
    const latest = b.checkpoints[2] as { note: string };
    const text = parseSignedNote(latest.note).text;
    latest.note += cosignatureLine('witness.test/w1', raw, text, Math.floor(Date.now() / 1000), (m) => sign(null, m, w.privateKey));
    expect((await verifyBundle(b, { ...opts(), witnesses: [vkey] })).ok).toBe(true);
    const r = await verifyBundle(full, { ...opts(), witnesses: [vkey] });
    expect(failed(r)).toEqual(['witness.cosignature']);
  });
});

describe('regulator CLI', () => {
  it('exits 0 on a good bundle, 1 naming the tampering, 2 on usage errors', async () => {
    const root = join(fx.dir, 'root.pem');
    writeFileSync(root, fx.pki.rootPem);
    const good = join(fx.dir, 'bundle.json');
    writeFileSync(good, JSON.stringify(partial));
    const ok = await run(process.execPath, [MAIN, 'verify', good, '--root', root]);
    expect(ok.stdout).toMatch(/RESULT: VERIFIED/);

    const b = clone(partial);
    (b.entries[7] as { entry: string }).entry = (b.entries[7] as { entry: string }).entry.replace('action', 'acti0n');
    const bad = join(fx.dir, 'tampered.json');
    writeFileSync(bad, JSON.stringify(b));
    const failedRun = await run(process.execPath, [MAIN, 'verify', bad, '--root', root, '--json']).catch((e: { code: number; stdout: string }) => e);
    expect((failedRun as { code: number }).code).toBe(1);
    const report = JSON.parse((failedRun as { stdout: string }).stdout) as VerificationReport;
    expect(report.ok).toBe(false);
    expect(report.findings.find((f) => f.check === 'entry.inclusion')?.index).toBe(107);

    const human = await run(process.execPath, [MAIN, 'verify', bad, '--root', root]).catch((e: { code: number; stdout: string }) => e);
    expect((human as { stdout: string }).stdout).toMatch(/FAIL {2}entry\.inclusion[\s\S]*entry 107/);

    for (const args of [['verify', good], ['check', good, '--root', root], ['verify', join(fx.dir, 'missing.json'), '--root', root], ['verify', good, '--root', root, '--bogus']]) {
      const u = await run(process.execPath, [MAIN, ...args]).catch((e: { code: number }) => e);
      expect((u as { code: number }).code, args.join(' ')).toBe(2);
    }
  });

  it('verifies a tlog-tiles directory and names a tampered entry in a bundle file', async () => {
    const dir = join(fx.dir, 'tiles');
    const cp = await writeTileDirectory(fx.log, dir, { freshCheckpoint: false });
    expect(cp.size).toBe(1000);
    expect(readdirSync(join(dir, 'tile'))).toEqual(expect.arrayContaining(['0', '1', 'entries']));
    const root = join(fx.dir, 'root.pem');
    writeFileSync(root, fx.pki.rootPem);
    const ok = await run(process.execPath, [MAIN, 'verify', dir, '--root', root]);
    expect(ok.stdout).toMatch(/RESULT: VERIFIED/);

    const bundleFile = join(dir, 'tile', 'entries', '001');
    const data = readFileSync(bundleFile);
    const at = data.indexOf('"seq":300');
    data[at + 7] = '9'.charCodeAt(0);
    writeFileSync(bundleFile, data);
    const bad = await run(process.execPath, [MAIN, 'verify', dir, '--root', root, '--json']).catch((e: { code: number; stdout: string }) => e);
    expect((bad as { code: number }).code).toBe(1);
    const report = JSON.parse((bad as { stdout: string }).stdout) as VerificationReport;
    expect(report.findings.filter((f) => f.check === 'entry.inclusion').map((f) => f.index)).toEqual([300]);
  });
});
