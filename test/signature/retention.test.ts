import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAssertion } from '../../clients/device/authenticator/software-authenticator.ts';
import { PersonClient } from '../../clients/device/gateway-client.ts';
import { registerPrincipal } from '../../src/gateway/register-principal.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { isFirewallError } from '../../src/core/errors.ts';
import type { GatewayContext } from '../../src/gateway/context.ts';
import { signatureCapability } from '../../src/main/signature-capability.ts';
import { checkRetentionDays, loadSignatureConfig } from '../../src/gateway/signatures/config.ts';
import type { Harness } from '../helpers/harness.ts';
import { addAdmin, ERASED_ENTRY_KEYS, NO_ROWS, rowsOf } from './erasure-helpers.ts';
import { entries, startSignatureHarness, type TestPerson } from './helpers.ts';

/** BIPA §15(a): people inactive for longer than the retention period are erased (time moved by hand). */
const DAY = 86_400_000;
let h: Harness;
let clock: ManualClock;

/** A person whose client mints assertions on the gateway's (moved) clock. */
async function person(id: string): Promise<TestPerson> {
  const k = generateKeyPairSync('ed25519');
  await registerPrincipal(h.gw.ctx.store, { id, roles: ['authorizer'], publicJwk: k.publicKey.export({ format: 'jwk' }) }, clock.now());
  const client = await PersonClient.create({ gateway: h.url, person: id, privateKey: k.privateKey, now: () => clock.now() });
  await client.declare(['motion']);
  return { id, key: k.privateKey, client, credential: (await client.enrol({ kind: 'phone' })).stored };
}

beforeAll(async () => {
  clock = new ManualClock(Date.now());
  // No SIGNATURE_RETENTION_DAYS: the default, 1095 days, applies.
  h = await startSignatureHarness({ label: 'retention', clock });
});
afterAll(async () => h.close());

describe('retention schedule', () => {
  it('erases people whose last interaction is older than 1095 days, and nobody else', async () => {
    const service = h.signatures.service!;
    expect(service.config.retentionDays).toBe(1095);
    const retention = h.signatures.retention!;
    const t0 = clock.now();
    const old = await person('olga');
    const active = await person('abe');

    clock.advance(1000 * DAY);
    // abe uses his passkey (an authentication ceremony): that is an interaction.
    const opt = await active.client.ok<{ ceremonyId: string; options: { challenge: string } }>('POST', `/v1/devices/${active.credential!.id}/authentication-options`);
    await active.client.ok('POST', `/v1/devices/${active.credential!.id}/authentication`, { ceremonyId: opt.ceremonyId, credential: getAssertion(active.credential!, { challenge: opt.options.challenge, origin: h.url }) });
    expect(await retention.tick()).toBe(0);

    clock.advance(95 * DAY + 1000);
    expect(await retention.tick()).toBe(1);
    expect(rowsOf(h, 'olga')).toEqual(NO_ROWS);
    expect(rowsOf(h, 'abe')).toMatchObject({ sig_people: 1, sig_devices: 1 });
    const e = (await entries(h, { type: 'person.erased' })).find((x) => x['person'] === 'olga')!;
    expect(Object.keys(e).sort()).toEqual(ERASED_ENTRY_KEYS.retention_schedule);
    expect(e).toMatchObject({ basis: 'retention_schedule', retentionDays: 1095, devices: [old.credential!.id], rows: { people: 1, devices: 1 } });
    // Her last interaction was enrolling the device, at the start.
    expect(e['lastInteractionAt']).toBeGreaterThanOrEqual(t0);
    expect(e['lastInteractionAt']).toBeLessThan(t0 + DAY);
    expect(e['ts']).toBe(clock.now());

    // Nothing left to do; an administrator asking later hears it was done by the schedule.
    expect(await retention.tick()).toBe(0);
    const ada = await addAdmin(h, 'ada', () => clock.now());
    expect((await ada.erase('olga')).json).toMatchObject({ erased: false, alreadyErased: true, basis: 'retention_schedule' });

    // abe's 1095 days run from his last use of the device.
    clock.advance(1000 * DAY);
    expect(await retention.tick()).toBe(1);
    expect(rowsOf(h, 'abe')).toEqual(NO_ROWS);
  });

  it('erases a bounded batch per run, oldest first; the rest waits for the next run', async () => {
    const service = h.signatures.service!;
    for (const id of ['p1', 'p2', 'p3']) {
      await person(id);
      clock.advance(DAY);
    }
    service.config.retentionBatch = 2;
    clock.advance(1095 * DAY);
    expect(await h.signatures.retention!.tick()).toBe(2);
    expect([rowsOf(h, 'p1').sig_people, rowsOf(h, 'p2').sig_people, rowsOf(h, 'p3').sig_people]).toEqual([0, 0, 1]);
    expect(await h.signatures.retention!.tick()).toBe(1);
    expect(rowsOf(h, 'p3')).toEqual(NO_ROWS);
  });
});

describe('retention schedule, past people still active', () => {
  it('looks at the active people its index still lists once, raises their floor, and erases the inactive one behind them in the same run', async () => {
    const service = h.signatures.service!;
    service.config.retentionBatch = 2;
    // Three people who keep using their passkey, created before one who never comes back.
    const actives = [await person('act-1'), await person('act-2'), await person('act-3')];
    clock.advance(DAY);
    await person('gone');
    clock.advance(1095 * DAY);
    for (const p of actives) {
      const opt = await p.client.ok<{ ceremonyId: string; options: { challenge: string } }>('POST', `/v1/devices/${p.credential!.id}/authentication-options`);
      await p.client.ok('POST', `/v1/devices/${p.credential!.id}/authentication`, { ceremonyId: opt.ceremonyId, credential: getAssertion(p.credential!, { challenge: opt.options.challenge, origin: h.url }) });
    }
    clock.advance(2 * DAY);
    const cutoff = clock.now() - 1095 * DAY;
    // The index still lists all four (floors at creation), the actives first.
    expect((await service.store.retentionCandidates(cutoff, 10)).map((p) => p.id)).toEqual(['act-1', 'act-2', 'act-3', 'gone']);
    expect(await h.signatures.retention!.tick()).toBe(1);
    expect(rowsOf(h, 'gone')).toEqual(NO_ROWS);
    for (const p of actives) expect(rowsOf(h, p.id)).toMatchObject({ sig_people: 1, sig_devices: 1 });
    // Their floors now sit at their last use: the next run has nobody to look at.
    expect(await service.store.retentionCandidates(cutoff, 10)).toEqual([]);
    expect(await h.signatures.retention!.tick()).toBe(0);
  });
});

describe('retention configuration', () => {
  const load = (days?: string) => loadSignatureConfig(days === undefined ? {} : { SIGNATURE_RETENTION_DAYS: days }, 'http://127.0.0.1:8080');

  it('defaults to 1095 days and accepts a shorter period', () => {
    expect(load().retentionDays).toBe(1095);
    expect(load('30').retentionDays).toBe(30);
  });

  it.each(['1096', '0', '-5', '3.5', 'three years'])('refuses SIGNATURE_RETENTION_DAYS=%s with an error naming the field', (raw) => {
    let err: unknown;
    try {
      load(raw);
    } catch (e) {
      err = e;
    }
    expect(isFirewallError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as { detail: unknown }).detail).toEqual({ variable: 'SIGNATURE_RETENTION_DAYS', field: 'retentionDays' });
    expect((err as Error).message).toMatch(/SIGNATURE_RETENTION_DAYS \(retentionDays\).*1\.\.1095/);
  });

  it('holds a value set in code to the same bound, before the database is touched', () => {
    expect(() => checkRetentionDays(2000)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', detail: { field: 'retentionDays' } }));
    expect(checkRetentionDays(1095)).toBe(1095);
    // ctx has no store: the configuration error comes first.
    const ctx = { publicUrl: 'http://127.0.0.1:8080' } as GatewayContext;
    expect(() => signatureCapability({ env: { SIGNATURE_RETENTION_DAYS: '4000' } }).mounts(ctx)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => signatureCapability({ env: {}, config: { retentionDays: 1200 } }).mounts(ctx)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', detail: { field: 'retentionDays' } }));
  });
});
