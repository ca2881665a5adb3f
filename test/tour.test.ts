import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { examplePortsEnv } from './helpers/example-ports.ts';
import { freePort } from './helpers/free-port.ts';
import { ROOT, waitFor } from './helpers/harness.ts';

/**
 * The README's quick tour, as a user runs it: a real `npm start` on embedded defaults (its own PORT,
 * DATA_DIR and example actuator ports), then scripts/tour.sh, whose commands are the README's tour
 * block word for word, with the machine's own `node` first on PATH (not the project's Node 24),
 * so every command the README shows must work with any Node.
 */

const TOUR_START = '# --- tour ---\n';
const TOUR_END = '# --- end of tour ---\n';

/** PATH as a user's shell has it: without node_modules/.bin, which npm puts first for its scripts. */
function userPath(): string {
  return (process.env['PATH'] ?? '').split(delimiter).filter((p) => !p.endsWith(join('node_modules', '.bin'))).join(delimiter);
}

function run(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('the README tour', () => {
  it('is scripts/tour.sh, character for character', () => {
    const script = readFileSync(join(ROOT, 'scripts/tour.sh'), 'utf8');
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const body = script.slice(script.indexOf(TOUR_START) + TOUR_START.length, script.indexOf(TOUR_END));
    expect(body.length).toBeGreaterThan(1000);
    expect(readme).toContain('```sh\n' + body + '```\n');
    // No command in the README runs a .ts file with the user's own node.
    expect(readme).not.toMatch(/^\s*node \S+\.ts/m);
  });

  describe('run against a real `npm start`', () => {
    let dir: string;
    let gateway: ChildProcess;
    let gatewayOut = '';
    let env: Record<string, string>;
    let url: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'af-tour-'));
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      const base = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('npm_')));
      env = { ...base, PATH: userPath(), PORT: String(port), DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'info', ...(await examplePortsEnv()) };
      // Its own process group: npm, its shell and the gateway (hsm-sim exits with it) stop together.
      gateway = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      gateway.stdout!.on('data', (d: Buffer) => (gatewayOut += d.toString()));
      gateway.stderr!.on('data', (d: Buffer) => (gatewayOut += d.toString()));
      await waitFor(
        async () => {
          if (gateway.exitCode !== null) throw new Error(`npm start exited:\n${gatewayOut}`);
          return (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined;
        },
        60_000,
        200,
      ).catch((e: unknown) => Promise.reject(new Error(`npm start did not become ready:\n${gatewayOut}`, { cause: e })));
    }, 90_000);

    afterAll(async () => {
      const group = gateway?.pid;
      if (group !== undefined) {
        const alive = () => {
          try {
            process.kill(-group, 0);
            return true;
          } catch {
            return false;
          }
        };
        if (alive()) process.kill(-group, 'SIGTERM');
        // Until every process of the group is gone (npm exits before the gateway has closed its files).
        await waitFor(() => (alive() ? undefined : true), 30_000, 50);
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it('shows every tier: LOW read, MEDIUM cools then executes, HIGH signed live executes, CRITICAL held, a veto, and an export verified offline', async () => {
      const r = await run('bash', ['scripts/tour.sh'], { ...env, GW: url, D: join(dir, 'data') });
      const context = `tour output:\n${r.out}\n--- stderr:\n${r.err.slice(-4000)}\n--- gateway:\n${gatewayOut.slice(-4000)}`;
      expect(r.code, context).toBe(0);
      // Each step's visible outcome, in order.
      expect(r.out, context).toContain('{"account":"acc-1","balance":12500,"currency":"EUR"}');
      const settled = [...r.out.matchAll(/^(act_[0-9a-f-]+) (\w+)$/gm)].map((m) => [m[1]!, m[2]!] as const);
      expect(settled.map(([, s]) => s), context).toEqual(['executed', 'awaiting_signature', 'executed', 'awaiting_quorum', 'vetoed']);
      expect(r.out, context).toMatch(/"outcome":"accepted","reason":"biological signature verified"/);
      expect(r.out, context).toContain('RESULT: VERIFIED');

      // The same, from the log the regulator exported (and the tour verified offline).
      const [medium, high, , critical, vetoed] = settled.map(([id]) => id);
      const bundle = JSON.parse(readFileSync(join(dir, 'data', 'bundle.json'), 'utf8')) as { entries: { entry: string }[] };
      const entries = bundle.entries.map((e) => JSON.parse(e.entry) as Record<string, unknown>);
      const of = (id: string | undefined) => entries.filter((e) => e['actionId'] === id).map((e) => e['type']);
      // A LOW action: one entry before forwarding (docs/transparency-log.md §action.passed), then its execution.
      const low = entries.find((e) => e['type'] === 'action.passed' && e['tier'] === 'LOW')?.['actionId'] as string | undefined;
      expect(of(low)).toEqual(['action.passed', 'action.executed']);
      expect(of(medium)).toEqual(['action.received', 'action.classified', 'action.cooling', 'action.authorised', 'action.dispatched', 'action.executed']);
      expect(of(high)).toEqual(expect.arrayContaining(['action.awaiting_signature', 'signature.challenge_issued', 'signature.verified', 'action.authorised', 'action.executed']));
      expect(entries.find((e) => e['actionId'] === high && e['type'] === 'action.authorised')).toMatchObject({ event: 'signature_verified', approvals: [{ who: 'alice', role: 'authorizer' }] });
      expect(of(critical)).toEqual(['action.received', 'action.classified', 'action.awaiting_quorum']);
      expect(of(vetoed)).toEqual(['action.received', 'action.classified', 'action.cooling', 'action.vetoed']);
      expect(entries.find((e) => e['actionId'] === vetoed && e['type'] === 'action.vetoed')).toMatchObject({ by: 'alice' });

      // The example policy's webhook reached the receiver `npm start` runs for it, each signature checked.
      const notified = () =>
        gatewayOut
          .split('\n')
          .filter((l) => l.includes('example webhook receiver: notification received'))
          .map((l) => JSON.parse(l) as { webhook: string; actionId: string });
      // The veto's announcement is sent as the veto lands, and may still be on its way.
      await waitFor(() => notified().find((n) => n.actionId === vetoed && n.webhook === 'action.vetoed'), 10_000, 100).catch(() => undefined);
      expect(notified(), gatewayOut.slice(-4000)).toEqual(expect.arrayContaining([
        expect.objectContaining({ webhook: 'action.awaiting_signature', actionId: high }),
        expect.objectContaining({ webhook: 'action.awaiting_quorum', actionId: critical }),
        expect.objectContaining({ webhook: 'action.vetoed', actionId: vetoed }),
      ]));
      expect(gatewayOut).not.toContain('webhook not delivered');
    }, 300_000);

    it("runs the README's MCP block as written: a LOW call answered at once, a MEDIUM call held through cooling then completed", async () => {
      const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
      const section = readme.slice(readme.indexOf('## MCP: agents built on the Model Context Protocol'));
      const block = /```sh\n([\s\S]*?)```\n/.exec(section)?.[1];
      expect(block).toContain('access-token');
      const r = await run('bash', ['-euo', 'pipefail', '-c', block!], { ...env, GW: url, D: join(dir, 'data') });
      const context = `output:\n${r.out}\n--- stderr:\n${r.err.slice(-4000)}`;
      expect(r.code, context).toBe(0);
      const answers = r.out.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as { id?: number; result?: { structuredContent?: Record<string, unknown>; isError?: boolean } });
      const low = answers.find((a) => a.id === 1)?.result;
      const medium = answers.find((a) => a.id === 2)?.result;
      expect(low, context).toMatchObject({ structuredContent: { account: 'acc-1', balance: 12_500, currency: 'EUR' } });
      expect(low?.isError, context).toBeUndefined();
      expect(medium, context).toMatchObject({ structuredContent: { state: 'settled' } });
      expect(medium?.isError, context).toBeUndefined();
    }, 120_000);
  });
});
