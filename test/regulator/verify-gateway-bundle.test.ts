import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical.ts';
import type { ExportBundle } from '../../src/core/checkpoint/bundle-format.ts';
import { verifyBundle, type VerificationReport } from '../../clients/regulator/verify-bundle.ts';
import { startHarness, type Harness, ROOT } from '../helpers/harness.ts';
import { createTestPki, type TestPki } from '../log/helpers/pki.ts';
import { TestEd25519Signer } from '../log/helpers/test-signer.ts';
import { checkpointKeyFromJwk, formatCheckpoint, signCheckpoint } from '../../src/core/checkpoint/checkpoint.ts';
import { AttestedSigner } from './helpers/attested-signer.ts';
import { clone, editEntry, entryAt, errorsOf, failed, forgeJws, indexOf, removeEntry, warningsOf } from './helpers/bundle-edit.ts';
import { addPrincipal, exportWith, issueToken } from './helpers/regulator.ts';
import { runScenario, type Scenario } from './helpers/scenario.ts';

const run = promisify(execFile);

let pki: TestPki;
let h: Harness;
let s: Scenario;
let token: string;
let honest: ExportBundle;

beforeAll(async () => {
  pki = createTestPki();
  h = await startHarness({ signer: new AttestedSigner(pki) });
  const rita = await addPrincipal(h, 'rita', ['regulator']);
  s = await runScenario(h);
  token = (await issueToken(h, rita, { scopes: ['log:read', 'log:export'] })).access_token;
  honest = await exportWith(h, token);
});
afterAll(async () => {
  await h.close();
  pki.dispose();
});

const verify = (b: unknown): Promise<VerificationReport> => verifyBundle(b, { rootPem: pki.rootPem });
const indexes = (r: VerificationReport, check: string): (number | undefined)[] => errorsOf(r, check).map((f) => f.index);

describe('bundles exported by a real gateway run', () => {
  it('an honest full export passes every check with no finding', async () => {
    expect(honest.range.start).toBe(0);
    const types = honest.entries.map((e) => (JSON.parse(e.entry) as { type: string }).type);
    for (const t of ['policy.activated', 'action.cooling', 'action.vetoed', 'action.expired', 'signature.verified', 'action.awaiting_quorum', 'regulator.token_issued']) expect(types).toContain(t);
    expect(types.filter((t) => t === 'action.executed')).toHaveLength(4);
    const r = await verify(honest);
    expect(r.findings).toEqual([]);
    expect(r.ok).toBe(true);
    const statuses = Object.fromEntries(r.checks.map((c) => [c.id, c.status]));
    for (const id of ['action.lifecycle', 'action.authorisation', 'action.finality', 'policy.activation', 'action.requirements', 'action.cooling', 'action.signature', 'action.quorum', 'action.approvals', 'action.receipt', 'regulator.access', 'key.attestation', 'jwks.attestation']) {
      expect(statuses[id], id).toBe('pass');
    }
  });

  it('an honest partial export (index or time range) carries its context and is checked in full', async () => {
    const from = indexOf(honest, 'action.authorised', s.high.id);
    const p = await exportWith(h, token, `?fromIndex=${from}`);
    expect(p.range.start).toBe(from);
    // The HIGH action's history, its approval entry and the policy activation are proven context.
    const ctx = p.context!.map((c) => c.index);
    for (const t of ['policy.activated', 'action.received', 'action.classified', 'action.awaiting_signature', 'signature.verified']) {
      expect(ctx).toContain(indexOf(honest, t, t === 'policy.activated' ? undefined : s.high.id));
    }
    const r = await verify(p);
    expect(r.findings).toEqual([]);
    expect(r.ok).toBe(true);

    const ts = entryAt(honest, from)['ts'] as number;
    const byTime = await exportWith(h, token, `?since=${ts}&until=${Date.now() + 60_000}`);
    expect(byTime.range.start).toBeLessThanOrEqual(from);
    expect((await verify(byTime)).findings).toEqual([]);

    // Without its context the same bundle still verifies, but says what it could not check.
    const bare = clone(p);
    delete bare.context;
    const w = await verify(bare);
    expect(w.ok).toBe(true);
    expect(warningsOf(w, 'context.inclusion')[0]).toMatch(/carries no context/);
    expect(warningsOf(w, 'action.authorisation').join('\n')).toMatch(/began before the range/);

    // A context entry that was altered, or is not before the range, is named.
    const bad = clone(p);
    const c0 = bad.context!.find((c) => c.index === indexOf(honest, 'action.classified', s.high.id))!;
    c0.entry = c0.entry.replace('"HIGH"', '"LOW"');
    const rb = await verify(bad);
    expect(failed(rb)).toContain('context.inclusion');
    expect(indexes(rb, 'context.inclusion')).toEqual([c0.index]);
    const late = clone(p);
    late.context!.push({ ...late.context![0]!, index: p.range.start });
    expect(errorsOf(await verify(late), 'context.inclusion').map((f) => f.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`\\(entry ${p.range.start}\\) is not before the range start`)), expect.stringMatching(/is not included/)]),
    );
    const unordered = clone(p);
    unordered.context!.reverse();
    expect(errorsOf(await verify(unordered), 'context.inclusion')[0]!.message).toMatch(/context out of order or duplicated/);
  });
});

describe('tampering with an exported bundle is detected and named', () => {
  it('an approval field removed (liveness of the HIGH signature)', async () => {
    const at = indexOf(honest, 'action.authorised', s.high.id);
    const r = await verify(editEntry(honest, at, (v) => delete (v['approvals'] as Record<string, unknown>[])[0]!['liveness']));
    expect(failed(r).sort()).toEqual(['action.receipt', 'action.signature', 'entry.inclusion']);
    expect(indexes(r, 'entry.inclusion')).toEqual([at]);
    expect(errorsOf(r, 'action.signature')).toEqual([{ index: at, message: expect.stringMatching(/no approval by an authorizer with a liveness summary.*alice \(authorizer: no liveness summary\)/) }]);
    // The receipt the actuator was shown still carries the liveness the log entry lost.
    const ex = indexOf(honest, 'action.executed', s.high.id);
    expect(errorsOf(r, 'action.receipt')).toEqual([{ index: ex, message: expect.stringMatching(/apv differs from the approvals of the authorisation/) }]);
  });

  it('an approval removed from the quorum, and an approval entry removed', async () => {
    const at = indexOf(honest, 'action.authorised', s.critical.id);
    const r = await verify(editEntry(honest, at, (v) => (v['approvals'] as unknown[]).splice(1, 1)));
    expect(failed(r)).toEqual(expect.arrayContaining(['entry.inclusion', 'action.quorum']));
    expect(errorsOf(r, 'action.quorum')).toEqual([{ index: at, message: expect.stringMatching(/group 'platform' has 1 of 2 distinct qualifying approvers/) }]);

    const sig = indexOf(honest, 'signature.verified', s.high.id);
    const r2 = await verify(removeEntry(honest, sig));
    expect(errorsOf(r2, 'entries.sequence')).toEqual([{ index: sig, message: `entry ${sig} is missing (entry removed)` }]);
    expect(errorsOf(r2, 'action.approvals')).toEqual([{ index: sig + 1, message: expect.stringMatching(new RegExp(`names entry ${sig}, which is not in the bundle`)) }]);
  });

  it('a forged receipt (signed by another key under the receipt kid, claiming another digest)', async () => {
    const ex = indexOf(honest, 'action.executed', s.high.id);
    const original = entryAt(honest, ex)['receipt'] as string;
    const [head, body] = original.split('.') as [string, string];
    const header = JSON.parse(Buffer.from(head, 'base64url').toString()) as Record<string, unknown>;
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const forged = forgeJws(header, { ...claims, act: s.low.digest });
    const r = await verify(editEntry(honest, ex, (v) => (v['receipt'] = forged)));
    expect(failed(r).sort()).toEqual(['action.receipt', 'entry.inclusion']);
    expect(errorsOf(r, 'action.receipt')).toEqual([{ index: ex, message: expect.stringMatching(/signature does not verify with key/) }]);

    // Genuine signature, but the claims edited: the signature no longer covers them.
    const edited = `${head}.${Buffer.from(JSON.stringify({ ...claims, tier: 'LOW' })).toString('base64url')}.${original.split('.')[2]}`;
    expect(errorsOf(await verify(editEntry(honest, ex, (v) => (v['receipt'] = edited))), 'action.receipt')[0]!.message).toMatch(/signature does not verify/);
    // A receipt of another action replayed on this one: it verifies but binds the other action.
    const low = entryAt(honest, indexOf(honest, 'action.executed', s.low.id))['receipt'];
    const replay = await verify(editEntry(honest, ex, (v) => (v['receipt'] = low)));
    expect(errorsOf(replay, 'action.receipt')[0]!.message).toMatch(/does not bind it: sub .* is not the action id; act is not the digest/);
  });

  it('the cooling entry dropped', async () => {
    const cooling = indexOf(honest, 'action.cooling', s.medium.id);
    const at = indexOf(honest, 'action.authorised', s.medium.id);
    const r = await verify(removeEntry(honest, cooling));
    expect(errorsOf(r, 'entries.sequence')).toEqual([{ index: cooling, message: `entry ${cooling} is missing (entry removed)` }]);
    expect(errorsOf(r, 'action.cooling')).toEqual([{ index: at, message: expect.stringMatching(/MEDIUM action .* was authorised without an action.cooling entry/) }]);
  });

  it('an executed entry inserted without authorisation (for the expired action)', async () => {
    const expired = indexOf(honest, 'action.expired', s.expired.id);
    const executed = entryAt(honest, indexOf(honest, 'action.executed', s.high.id));
    const forged = canonicalJson({ ...executed, actionId: s.expired.id, digest: s.expired.digest });
    const b = clone(honest);
    const pos = b.entries.findIndex((e) => e.index === expired) + 1;
    b.entries.splice(pos, 0, { index: expired + 1, entry: forged });
    const r = await verify(b);
    expect(failed(r)).toEqual(expect.arrayContaining(['entries.sequence', 'entry.inclusion', 'action.authorisation', 'action.finality', 'action.receipt']));
    expect(errorsOf(r, 'action.authorisation')).toEqual([{ index: expired + 1, message: expect.stringMatching(/has no prior action.authorised/) }]);
    expect(errorsOf(r, 'action.finality')).toEqual([{ index: expired + 1, message: expect.stringMatching(new RegExp(`follows entry ${expired} \\(action.expired\\).*an expired action must never run`)) }]);
  });

  it('one byte flipped in an entry', async () => {
    const at = indexOf(honest, 'action.classified', s.critical.id);
    const b = clone(honest);
    const e = b.entries.find((x) => x.index === at)!;
    e.entry = e.entry.replace('"CRITICAL"', '"CRITICAl"');
    const r = await verify(b);
    expect(indexes(r, 'entry.inclusion')).toEqual([at]);
    expect(failed(r)).toContain('action.authorisation');
  });

  it('entries reordered (executed before its authorisation)', async () => {
    const at = indexOf(honest, 'action.authorised', s.medium.id);
    const ex = indexOf(honest, 'action.executed', s.medium.id);
    const b = clone(honest);
    const i = b.entries.findIndex((e) => e.index === at);
    const j = b.entries.findIndex((e) => e.index === ex);
    [b.entries[i], b.entries[j]] = [b.entries[j]!, b.entries[i]!];
    const r = await verify(b);
    expect(errorsOf(r, 'entries.sequence').map((f) => f.message)).toContain(`entry ${at} at position ${j} comes after entry ${ex} (entries reordered)`);
    expect(errorsOf(r, 'action.authorisation')).toEqual(expect.arrayContaining([{ index: ex, message: expect.stringMatching(/no prior action.authorised/) }]));
  });

  it('the entry list truncated', async () => {
    const b = clone(honest);
    const end = honest.range.end;
    b.entries = b.entries.slice(0, -5);
    const r = await verify(b);
    expect(errorsOf(r, 'entries.sequence')).toEqual([{ index: end - 5, message: `entries ${end - 5}..${end - 1} are missing (5 entries) (bundle truncated)` }]);
  });

  it('a checkpoint replaced by one signed with another key', async () => {
    const b = clone(honest);
    const last = b.checkpoints.length - 1;
    const size = b.range.end;
    const impostor = new TestEd25519Signer(pki);
    const key = checkpointKeyFromJwk(honest.origin, (await impostor.publicKey('checkpoint')).jwk);
    const text = formatCheckpoint({ origin: honest.origin, size, rootHash: Buffer.alloc(32, 7), extensions: [] });
    b.checkpoints[last] = { note: (await signCheckpoint(impostor, key, text)).note };
    const r = await verify(b);
    expect(failed(r)).toContain('checkpoint.signature');
    expect(r.findings.find((f) => f.check === 'checkpoint.signature')?.checkpoint).toBe(last);
    expect(r.ok).toBe(false);
  });

  it('a policy document edited in the log entry (and its hash kept)', async () => {
    const at = indexOf(honest, 'policy.activated');
    const r = await verify(editEntry(honest, at, (v) => ((v['policy'] as { defaults: { coolingMs: number } }).defaults.coolingMs = 1)));
    expect(indexes(r, 'entry.inclusion')).toEqual([at]);
    expect(errorsOf(r, 'policy.activation')[0]).toEqual({ index: at, message: expect.stringMatching(/SHA-256 .* is not its policyHash/) });
    expect(indexes(r, 'policy.activation')).toEqual(expect.arrayContaining([indexOf(honest, 'action.passed', s.low.id)]));
  });
});

describe("a LOW action's one entry (action.passed) is checked as received, classified, authorised and dispatched", () => {
  it('the honest LOW action has exactly one entry before its execution, and its receipt names it', async () => {
    const mine = honest.entries.map((e) => JSON.parse(e.entry) as { type: string; actionId?: string }).filter((v) => v.actionId === s.low.id);
    expect(mine.map((v) => v.type)).toEqual(['action.passed', 'action.executed']);
  });

  it('a passed entry claiming another tier or decision is named by the authorisation and receipt checks', async () => {
    const at = indexOf(honest, 'action.passed', s.low.id);
    const high = await verify(editEntry(honest, at, (v) => (v['tier'] = 'HIGH')));
    expect(errorsOf(high, 'action.authorisation')).toEqual([
      { index: at, message: expect.stringMatching(/action\.passed, as action\.authorised.*event pass cannot authorise a HIGH action/) },
      { index: at, message: expect.stringMatching(/action\.passed, as action\.authorised.*a HIGH action was authorised straight after classification/) },
    ]);
    expect(indexes(high, 'action.receipt')).toEqual([indexOf(honest, 'action.executed', s.low.id)]);
    const blocked = await verify(editEntry(honest, at, (v) => (v['decision'] = 'BLOCK')));
    expect(errorsOf(blocked, 'action.authorisation')).toEqual([{ index: at, message: expect.stringMatching(/classified BLOCK .* not ALLOW/) }]);
  });

  it('a passed entry whose descriptor was edited no longer matches its digest', async () => {
    const at = indexOf(honest, 'action.passed', s.low.id);
    const r = await verify(editEntry(honest, at, (v) => ((v['descriptor'] as { target: string }).target = 'acc-2')));
    expect(errorsOf(r, 'action.lifecycle')).toEqual([{ index: at, message: expect.stringMatching(/'digest' is not the SHA-256 of the RFC 8785 form of its descriptor/) }]);
  });

  it('an execution whose passed entry was removed has no authorisation', async () => {
    const at = indexOf(honest, 'action.passed', s.low.id);
    const r = await verify(removeEntry(honest, at));
    expect(indexes(r, 'action.authorisation')).toContain(indexOf(honest, 'action.executed', s.low.id));
  });

  it('a second passed entry for the same action is refused', async () => {
    const at = indexOf(honest, 'action.passed', s.low.id);
    const ex = indexOf(honest, 'action.executed', s.low.id);
    // The executed entry rewritten as a copy of the passed one (same action, same digest).
    const r = await verify(editEntry(honest, ex, (v) => {
      for (const k of Object.keys(v)) delete v[k];
      Object.assign(v, entryAt(honest, at));
    }));
    expect(errorsOf(r, 'action.lifecycle').map((f) => f.index)).toContain(ex);
  });
});

describe('attacker-shaped entries', () => {
  it('any JSON in place of any field of any entry is reported, never crashes a rule', async () => {
    const fields = honest.entries.map((e) => Object.keys(JSON.parse(e.entry) as object));
    await fc.assert(
      fc.asyncProperty(fc.nat(honest.entries.length - 1), fc.nat(), fc.jsonValue({ maxDepth: 3 }), async (pos, k, value) => {
        const names = fields[pos]!;
        const field = names[k % names.length]!;
        const b = editEntry(honest, honest.entries[pos]!.index, (v) => (v[field] = value));
        const r = await verify(b);
        expect(r.findings.filter((f) => /crashed|failed to start|rule failed/.test(f.message))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('a type naming a member of Object.prototype ("valueOf", "constructor", ...): reported, never a crash (found by the property above)', async () => {
    for (const name of ['valueOf', 'constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      for (const e of honest.entries.slice(0, 6)) {
        const r = await verify(editEntry(honest, e.index, (v) => (v['type'] = name)));
        expect(r.findings.filter((f) => /crashed|failed to start|rule failed/.test(f.message)), `${name} at entry ${e.index}`).toEqual([]);
        expect(r.ok).toBe(false);
      }
    }
  });

  it('an object that cannot become a string, in place of each field of each entry (and of each field one level down): reported, never a crash', async () => {
    // String(x) and `${x}` throw on it: a message built that way would crash the rule (found by the property above).
    const hostile = { toString: 0, valueOf: 0 };
    const crashes: string[] = [];
    for (const e of honest.entries) {
      const entry = JSON.parse(e.entry) as Record<string, unknown>;
      const paths: string[][] = [];
      for (const [k, v] of Object.entries(entry)) {
        paths.push([k]);
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) for (const k2 of Object.keys(v)) paths.push([k, k2]);
      }
      for (const path of paths) {
        const b = editEntry(honest, e.index, (v) => {
          let o = v as Record<string, unknown>;
          for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
          o[path[path.length - 1]!] = hostile;
        });
        const r = await verify(b);
        for (const f of r.findings.filter((f) => /crashed|failed to start|rule failed/.test(f.message))) crashes.push(`entry ${e.index} ${path.join('.')}: ${f.message}`);
      }
    }
    expect(crashes).toEqual([]);
  });
});

describe('the regulator CLI as a real process', () => {
  it('exits 0 on the honest bundle and 1 naming the check and entry of a tampered one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'af-reg-cli-'));
    try {
      const root = join(dir, 'root.pem');
      writeFileSync(root, pki.rootPem);
      const good = join(dir, 'good.json');
      writeFileSync(good, JSON.stringify(honest));
      const main = join(ROOT, 'clients/regulator/main.ts');
      const ok = await run(process.execPath, [main, 'verify', good, '--root', root]);
      expect(ok.stdout).toMatch(/PASS {2}action\.receipt/);
      expect(ok.stdout).toMatch(/RESULT: VERIFIED/);

      const cooling = indexOf(honest, 'action.cooling', s.medium.id);
      const at = indexOf(honest, 'action.authorised', s.medium.id);
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify(removeEntry(honest, cooling)));
      const err = await run(process.execPath, [main, 'verify', bad, '--root', root]).then(
        () => {
          throw new Error('the CLI accepted a tampered bundle');
        },
        (e: { code: number; stdout: string }) => e,
      );
      expect(err.code).toBe(1);
      expect(err.stdout).toMatch(/FAIL {2}action\.cooling/);
      expect(err.stdout).toContain(`entry ${at} (action.authorised): MEDIUM action ${s.medium.id} was authorised without an action.cooling entry`);
      expect(err.stdout).toMatch(/RESULT: FAILED \(entries\.sequence, action\.authorisation, action\.cooling\)/);

      const json = await run(process.execPath, [main, 'verify', bad, '--root', root, '--json']).catch((e: { stdout: string }) => e);
      const report = JSON.parse(json.stdout) as VerificationReport;
      expect(report.ok).toBe(false);
      expect(report.findings).toEqual(expect.arrayContaining([expect.objectContaining({ check: 'action.cooling', index: at, severity: 'error' })]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
