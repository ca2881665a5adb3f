/**
 * One verifier for Node and the browser (issue 19 item 4): clients/regulator/browser.ts is bundled
 * for the browser platform (a node: module anywhere in its imports fails the build) and run in
 * Debian's Chromium, where it must give exactly the report Node gives on the same bundles, and
 * check checkpoints, inclusion and consistency proofs with the same answers.
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportBundle } from '../../src/core/checkpoint/bundle-format.ts';
import { isFirewallError } from '../../src/core/errors.ts';
import { verifyCheckpoint, verifyCheckpointConsistency, verifyEntryInclusion, type VerifiedCheckpoint } from '../../clients/regulator/proofs.ts';
import { verifyBundle, type VerificationReport } from '../../clients/regulator/verify-bundle.ts';
import { startHarness, type Harness, ROOT } from '../helpers/harness.ts';
import { freePort } from '../helpers/free-port.ts';
import { createTestPki, type TestPki } from '../log/helpers/pki.ts';
import { AttestedSigner } from './helpers/attested-signer.ts';
import { clone, editEntry, indexOf } from './helpers/bundle-edit.ts';
import { addPrincipal, exportWith, issueToken } from './helpers/regulator.ts';
import { runScenario, type Scenario } from './helpers/scenario.ts';

const ENTRY = join(ROOT, 'clients/regulator/browser.ts');

let pki: TestPki;
let h: Harness;
let s: Scenario;
let honest: ExportBundle;
let partial: ExportBundle;
/** Exported after the others: the log has grown (exports are logged), so it carries two checkpoints or more. */
let grown: ExportBundle;
let metafile: Metafile;
let server: Server;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const built = await build({ entryPoints: [ENTRY], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
  metafile = built.metafile;
  const js = built.outputFiles[0]!.text;
  const port = await freePort();
  // Loopback http is a secure context, as the console's https origin is: WebCrypto is available.
  server = createServer((req, res) => {
    if (req.url === '/verifier.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>verifier</title><script type="module">import * as v from "/verifier.js"; window.verifier = v;</script>');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => 'verifier' in globalThis);

  pki = createTestPki();
  h = await startHarness({ signer: new AttestedSigner(pki) });
  const rita = await addPrincipal(h, 'rita', ['regulator']);
  s = await runScenario(h);
  const token = (await issueToken(h, rita, { scopes: ['log:read', 'log:export'] })).access_token;
  honest = await exportWith(h, token);
  partial = await exportWith(h, token, `?fromIndex=${indexOf(honest, 'action.authorised', s.high.id)}`);
  grown = await exportWith(h, token);
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await h?.close();
  pki?.dispose();
});

interface BrowserVerifier {
  verifyBundle(b: unknown, o: { rootPem: string }): Promise<VerificationReport>;
  verifyCheckpoint(note: string, vkey: string): VerifiedCheckpoint;
  verifyEntryInclusion(entry: string, index: number, proof: readonly string[], cp: VerifiedCheckpoint): void;
  verifyCheckpointConsistency(a: VerifiedCheckpoint, b: VerifiedCheckpoint, proof: readonly string[]): void;
  isFirewallError(e: unknown): e is { code: string };
}

const inBrowser = (bundle: unknown): Promise<VerificationReport> =>
  page.evaluate(([b, rootPem]) => (globalThis as unknown as { verifier: BrowserVerifier }).verifier.verifyBundle(b, { rootPem }), [bundle, pki.rootPem] as const);

describe('the verifier bundled for the browser', () => {
  it('has no Node module in its import graph and takes the portable SHA-256', () => {
    const inputs = Object.keys(metafile.inputs);
    const imports = Object.values(metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(imports.filter((p) => p.startsWith('node:'))).toEqual([]);
    expect(inputs).toContain('src/core/merkle/sha256-portable.ts');
    expect(inputs).not.toContain('src/core/merkle/sha256-node.ts');
    expect(inputs.some((p) => p.startsWith('node_modules/buffer/'))).toBe(true);
  });

  it('gives in Chromium the report Node gives: honest full and partial exports pass every check', async () => {
    for (const b of [honest, partial]) {
      const node = await verifyBundle(b, { rootPem: pki.rootPem });
      expect(node.ok).toBe(true);
      expect(node.findings).toEqual([]);
      expect(await inBrowser(b)).toEqual(node);
    }
  });

  it('names the same tampering as Node does (entry, receipt, checkpoint, attestation, proofs)', async () => {
    const ex = indexOf(honest, 'action.executed', s.high.id);
    const flipped = editEntry(honest, ex, (v) => (v['ts'] = (v['ts'] as number) + 1));
    const receipt = editEntry(honest, ex, (v) => (v['receipt'] = String(v['receipt']).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))));
    const checkpoint = clone(honest);
    checkpoint.checkpoints[checkpoint.checkpoints.length - 1]!.note = checkpoint.checkpoints.at(-1)!.note.replace(/\n\n— (\S+) (.)/, (_, n: string, c: string) => `\n\n— ${n} ${c === 'A' ? 'B' : 'A'}`);
    const attestation = clone(honest);
    attestation.verifierKey.x5c = attestation.verifierKey.x5c.slice(1);
    const proof = clone(honest);
    proof.proofs.toLatest = proof.proofs.toLatest.map(() => Buffer.alloc(32, 7).toString('base64'));
    proof.proofs.leftFrontier = [Buffer.alloc(32, 1).toString('base64')];
    const expected: [ExportBundle, string][] = [
      [flipped, 'entry.inclusion'],
      [receipt, 'action.receipt'],
      [checkpoint, 'checkpoint.signature'],
      [attestation, 'key.attestation'],
      [proof, 'tree.range'],
    ];
    for (const [b, check] of expected) {
      const node = await verifyBundle(b, { rootPem: pki.rootPem });
      expect(node.checks.find((c) => c.id === check)?.status, check).toBe('fail');
      expect(await inBrowser(b), check).toEqual(node);
    }
  });
});

describe('checkpoints and proofs checked in the browser', () => {
  /** Runs `op` in Node and in Chromium; returns both outcomes ('ok' or the error code). */
  async function both(op: string, args: unknown[]): Promise<[string, string]> {
    const fns: Record<string, (...a: never[]) => unknown> = { verifyCheckpoint, verifyEntryInclusion, verifyCheckpointConsistency };
    let node = 'ok';
    try {
      fns[op]!(...(args as never[]));
    } catch (e) {
      node = isFirewallError(e) ? e.code : `threw ${String(e)}`;
    }
    const web = await page.evaluate(
      ([name, a]) => {
        const v = (globalThis as unknown as { verifier: Record<string, (...x: unknown[]) => unknown> & BrowserVerifier }).verifier;
        try {
          v[name]!(...a);
          return 'ok';
        } catch (e) {
          return v.isFirewallError(e) ? e.code : `threw ${String(e)}`;
        }
      },
      [op, args] as const,
    );
    return [node, web];
  }

  it('verifies the checkpoints, their consistency and a context entry inclusion, and refuses altered ones', async () => {
    const vkey = grown.verifierKey.vkey;
    const cps = grown.checkpoints.map((c) => verifyCheckpoint(c.note, vkey));
    expect(cps.length).toBeGreaterThanOrEqual(2);
    for (const c of grown.checkpoints) expect(await both('verifyCheckpoint', [c.note, vkey])).toEqual(['ok', 'ok']);
    const forged = grown.checkpoints[0]!.note.replace(/^(.*\n)(\d+)\n/, (_, o: string, n: string) => `${o}${Number(n) + 1}\n`);
    expect(await both('verifyCheckpoint', [forged, vkey])).toEqual(['NOTE_SIGNATURE_INVALID', 'NOTE_SIGNATURE_INVALID']);

    for (let i = 1; i < cps.length; i++) {
      const rec = grown.proofs.checkpointConsistency.find((p) => p.from === cps[i - 1]!.size && p.to === cps[i]!.size)!;
      expect(await both('verifyCheckpointConsistency', [cps[i - 1], cps[i], rec.hashes])).toEqual(['ok', 'ok']);
      // A rewritten history: the earlier checkpoint's root no longer fits under the later one.
      const rewritten = { ...cps[i - 1]!, rootHash: Buffer.alloc(32, 9).toString('base64') };
      expect(await both('verifyCheckpointConsistency', [rewritten, cps[i], rec.hashes])).toEqual(['MERKLE_CONSISTENCY_INVALID', 'MERKLE_CONSISTENCY_INVALID']);
    }

    const latest = verifyCheckpoint(partial.checkpoints.at(-1)!.note, vkey);
    const ctx = partial.context!;
    expect(ctx.length).toBeGreaterThan(0);
    for (const c of ctx) expect(await both('verifyEntryInclusion', [c.entry, c.index, c.inclusion, latest])).toEqual(['ok', 'ok']);
    const c = ctx[0]!;
    expect(await both('verifyEntryInclusion', [c.entry.replace('"ts":', '"ts": '), c.index, c.inclusion, latest])).toEqual(['MERKLE_INCLUSION_INVALID', 'MERKLE_INCLUSION_INVALID']);
    // A proof for another tree: the same path checked against an earlier, smaller checkpoint.
    expect(await both('verifyEntryInclusion', [c.entry, c.index, c.inclusion, cps[0]])).toEqual(['MERKLE_INCLUSION_INVALID', 'MERKLE_INCLUSION_INVALID']);
  });
});
