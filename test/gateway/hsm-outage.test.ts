import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHsmSim, type HsmSimProcess } from '../../src/adapters/signer/hsm-sim-process.ts';
import { HsmSimSigner } from '../../src/adapters/signer/hsm-sim-signer.ts';
import { BatchingSigner } from '../../src/adapters/signer/batching-signer.ts';
import { pino } from 'pino';
import { DEFAULT_BACKOFF, HsmSimSupervisor, restartDelay } from '../../src/adapters/signer/hsm-sim-supervisor.ts';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';

let h: Harness;
let device: HsmSimProcess;
let hsmDir: string;
let signer: HsmSimSigner;

beforeAll(async () => {
  hsmDir = mkdtempSync(join(tmpdir(), 'af-hsm-outage-'));
  device = await startHsmSim({ dataDir: hsmDir, onLog: () => {} });
  signer = new HsmSimSigner({ endpoint: device.endpoint, userPin: device.userPin });
  await signer.ensureKeys();
  h = await startHarness({ signer: new BatchingSigner(signer) });
});
afterAll(async () => {
  await h.close();
  await device.stop();
  rmSync(hsmDir, { recursive: true, force: true });
});

describe('the real hsm-sim goes away and comes back', () => {
  it('receipts are signed by hsm-sim and carry its attested key', async () => {
    const jwks = (await (await fetch(`${h.url}/.well-known/jwks.json`)).json()) as { keys: { 'af:purpose': string; x5c?: string[] }[] };
    expect(jwks.keys.find((k) => k['af:purpose'] === 'receipt')?.x5c?.length).toBeGreaterThanOrEqual(2);
    const r = await h.as('agent', 'GET', '/proxy/payments/balances/acc-1', { headers: { 'idempotency-key': 'hsm-ok' } });
    expect(r.status).toBe(200);
  });

  it('while hsm-sim is down nothing executes; after it returns the held action runs once', async () => {
    const res = await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'outage', amount: 40, currency: 'EUR' }, headers: { 'idempotency-key': 'hsm-1' } });
    const a = (await res.json()) as { id: string; status: string };
    expect(a.status).toBe('cooling');
    await device.stop();
    await waitFor(async () => ((await fetch(`${h.url}/readyz`)).status === 503 ? true : undefined));
    const refused = await h.as('agent', 'GET', '/proxy/payments/balances/acc-1', { headers: { 'idempotency-key': 'hsm-2' } });
    expect(refused.status).toBe(503);
    await new Promise((r) => setTimeout(r, 1500)); // cooling ends while the HSM is away
    expect(h.payments.executions.find((e) => e.key === a.id)).toBeUndefined();
    device = await startHsmSim({ dataDir: hsmDir, userPin: device.userPin, onLog: () => {} });
    await waitFor(async () => ((await fetch(`${h.url}/readyz`)).status === 200 ? true : undefined), 20_000);
    await waitFor(() => h.payments.executions.find((e) => e.key === a.id), 20_000);
    expect(h.payments.executions.filter((e) => e.key === a.id)).toHaveLength(1);
  });
});

describe('a supervised hsm-sim is restarted after it dies, and nothing executes meanwhile', () => {
  it('backs off exponentially up to its ceiling', () => {
    expect([0, 1, 2, 3].map((n) => restartDelay(n, DEFAULT_BACKOFF))).toEqual([200, 400, 800, 1600]);
    expect(restartDelay(12, DEFAULT_BACKOFF)).toBe(DEFAULT_BACKOFF.maxMs);
    expect(restartDelay(5000, DEFAULT_BACKOFF)).toBe(DEFAULT_BACKOFF.maxMs);
  });

  it('SIGKILL: the cooling ends while the device is down and nothing runs; after the restart the action runs once', async () => {
    const supDir = mkdtempSync(join(tmpdir(), 'af-hsm-supervised-'));
    // A long first backoff, so the action's cooling (1 s) certainly ends while the device is away.
    const sup = await HsmSimSupervisor.start({ dataDir: supDir, onLog: () => {} }, pino({ level: 'silent' }), { initialMs: 2500, maxMs: 5000, stableMs: 60_000 });
    const supSigner = new HsmSimSigner({ endpoint: sup.endpoint, userPin: sup.userPin });
    await supSigner.ensureKeys();
    const g = await startHarness({ signer: new BatchingSigner(supSigner) });
    try {
      const res = await g.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'supervised', amount: 40, currency: 'EUR' }, headers: { 'idempotency-key': 'sup-1' } });
      const a = (await res.json()) as { id: string; status: string };
      expect(a.status).toBe('cooling');
      process.kill(sup.pid!, 'SIGKILL');
      await waitFor(() => (sup.state === 'restarting' ? true : undefined));
      await waitFor(async () => ((await fetch(`${g.url}/readyz`)).status === 503 ? true : undefined));
      expect((await g.as('agent', 'GET', '/proxy/payments/balances/acc-1', { headers: { 'idempotency-key': 'sup-2' } })).status).toBe(503);
      await new Promise((r) => setTimeout(r, 1500)); // cooling over, device still down
      expect(sup.state).toBe('restarting');
      expect(g.payments.executions.find((e) => e.key === a.id)).toBeUndefined();
      await waitFor(() => (sup.state === 'running' && sup.restarts === 1 ? true : undefined), 20_000);
      await waitFor(async () => ((await fetch(`${g.url}/readyz`)).status === 200 ? true : undefined), 20_000);
      await waitFor(() => g.payments.executions.find((e) => e.key === a.id), 20_000);
      expect(g.payments.executions.filter((e) => e.key === a.id)).toHaveLength(1);
    } finally {
      await g.close();
      await supSigner.close();
      await sup.stop();
      rmSync(supDir, { recursive: true, force: true });
    }
  });
});
