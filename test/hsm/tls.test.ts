/**
 * hsm-sim over TCP with mutual TLS (docs/hsm.md "Shared device over TLS"): real device process,
 * real openssl-made certificates, real TLS 1.3 on loopback.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientTls, Endpoint } from '../../hsm-sim/client/connection.ts';
import { ROOT } from '../helpers/harness.ts';
import { makeDevPki, withoutClient, type DevPki } from '../helpers/dev-pki.ts';
import { Cleanup, MASTER_SECRET, USER_PIN, connect, rejectsWith, run, startDevice, tempDir, waitFor, type Device } from './helpers.ts';

const cleanup = new Cleanup();
let pki: DevPki;
let other: DevPki;
let device: Device;

function endpointFor(tls: ClientTls): Endpoint {
  const ep = device.endpoint as { host: string; port: number };
  return { host: ep.host, port: ep.port, tls };
}

beforeAll(async () => {
  pki = makeDevPki(await tempDir(cleanup, 'hsm-pki-'), ['gateway-a', 'gateway-b', 'gateway-c']);
  // gateway-c holds a certificate from the right CA but is not on the allow list.
  const allow = pki.file('allowed-clients.txt');
  writeFileSync(allow, withoutClient(readFileSync(allow, 'utf8'), 'gateway-c'));
  // A second, unrelated PKI: its client and its server certificate must both be refused.
  other = makeDevPki(await tempDir(cleanup, 'hsm-pki-other-'), ['intruder']);
  device = await startDevice(cleanup, await tempDir(cleanup), { tcp: { host: '127.0.0.1', port: 0 }, env: pki.deviceEnv(), clientTls: pki.client('gateway-a') });
}, 60_000);
afterAll(() => cleanup.run());

describe('hsm-sim over mutual TLS', () => {
  it('an allowed client logs in and signs; the ready line says tls', async () => {
    expect(device.endpoint).toMatchObject({ host: '127.0.0.1', tls: expect.anything() });
    const c = connect(cleanup, endpointFor(pki.client('gateway-b')));
    await c.request('login', { role: 'user', pin: USER_PIN });
    const r = await c.request<{ bytes: string }>('random', { length: 16 });
    expect(Buffer.from(r.bytes, 'base64')).toHaveLength(16);
    expect(device.logs.some((l) => l.includes('"event":"session-open"') && l.includes('"client":"gateway-b"'))).toBe(true);
  });

  it('a client without a certificate gets no answer: the handshake is refused', async () => {
    const before = device.logs.filter((l) => l.includes('"event":"tls-refused"')).length;
    const { host, port } = device.endpoint as { host: string; port: number };
    const s = connectTls({ host, port, ca: readFileSync(pki.file('ca.pem')), minVersion: 'TLSv1.3' });
    cleanup.add(() => void s.destroy());
    const received: Buffer[] = [];
    s.on('data', (d: Buffer) => received.push(d));
    const ended = new Promise<string>((resolve) => {
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      s.once('close', () => resolve('closed'));
    });
    s.once('secureConnect', () => s.write(Buffer.from([0, 0, 0, 15, ...Buffer.from('{"id":1,"op":"status"}'.slice(0, 15))])));
    expect(await ended).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    expect(received).toHaveLength(0);
    await waitFor(() => device.logs.filter((l) => l.includes('"event":"tls-refused"')).length > before, 10_000, 'tls-refused log line');
  });

  it('a client certificate from another CA is refused', async () => {
    const before = device.logs.length;
    const c = connect(cleanup, endpointFor({ ...other.client('intruder'), ca: readFileSync(pki.file('ca.pem')) }));
    const e = await rejectsWith(c.request('status'), 'SIGNER_UNAVAILABLE');
    expect(e.detail?.reason).toBe('CLOSED_BEFORE_ANSWER');
    await waitFor(() => device.logs.slice(before).some((l) => l.includes('"event":"tls-refused"') && l.includes('"reason":"UNABLE_TO_VERIFY_LEAF_SIGNATURE"')), 10_000, 'tls-refused log line');
    expect(device.logs.slice(before).some((l) => l.includes('"event":"session-open"'))).toBe(false);
  });

  it('a certificate from the right CA that is not on the allow list is refused before any request runs', async () => {
    const c = connect(cleanup, endpointFor(pki.client('gateway-c')));
    const e = await rejectsWith(c.request('login', { role: 'user', pin: USER_PIN }), 'SIGNER_UNAVAILABLE');
    expect(e.detail?.reason).toBe('CLIENT_NOT_AUTHORIZED');
    expect(device.logs.some((l) => l.includes('"event":"client-refused"') && l.includes('"client":"gateway-c"'))).toBe(true);
    // The refused session never reached the token: no login was recorded for it.
    expect(device.logs.some((l) => l.includes('"client":"gateway-c"') && l.includes('"event":"session-open"'))).toBe(false);
  });

  it('the client refuses a server certificate it does not trust, and one that names another host', async () => {
    const untrusting = connect(cleanup, endpointFor({ ...pki.client('gateway-a'), ca: readFileSync(other.file('ca.pem')) }));
    const e1 = await rejectsWith(untrusting.request('status'), 'SIGNER_UNAVAILABLE');
    // OpenSSL completes the device's chain with the CA it holds, so the client sees that CA, untrusted.
    expect(e1.detail?.reason).toBe('SELF_SIGNED_CERT_IN_CHAIN');
    const wrongName = connect(cleanup, endpointFor({ ...pki.client('gateway-a'), servername: 'hsm.example.org' }));
    const e2 = await rejectsWith(wrongName.request('status'), 'SIGNER_UNAVAILABLE');
    expect(e2.detail?.reason).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('SIGHUP re-reads the allow list: a withdrawn client is cut off mid-session and refused afterwards', async () => {
    const c = connect(cleanup, endpointFor(pki.client('gateway-b')));
    await c.request('login', { role: 'user', pin: USER_PIN });
    await c.request('random', { length: 8 });
    const allow = pki.file('allowed-clients.txt');
    const original = readFileSync(allow, 'utf8');
    writeFileSync(allow, withoutClient(original, 'gateway-b'));
    cleanup.add(() => writeFileSync(allow, original));
    const reloads = device.logs.filter((l) => l.includes('"event":"allow-list-reloaded"')).length;
    device.process.kill('SIGHUP');
    await waitFor(() => device.logs.filter((l) => l.includes('"event":"allow-list-reloaded"')).length > reloads, 10_000, 'allow list reload');
    const e = await rejectsWith(c.request('random', { length: 8 }), 'SIGNER_UNAVAILABLE');
    expect(e.detail?.reason).toBe('CLIENT_NOT_AUTHORIZED');
    const again = connect(cleanup, endpointFor(pki.client('gateway-b')));
    expect((await rejectsWith(again.request('status'), 'SIGNER_UNAVAILABLE')).detail?.reason).toBe('CLIENT_NOT_AUTHORIZED');
    // gateway-a is still served.
    const a = connect(cleanup, endpointFor(pki.client('gateway-a')));
    expect(await a.request<{ state: string }>('status')).toMatchObject({ state: 'active' });
  });
});

describe('start-up refusals', () => {
  const start = async (env: Record<string, string>) => {
    const dataDir = await tempDir(cleanup);
    return run(process.execPath, [join(ROOT, 'hsm-sim/main.ts'), '--data-dir', dataDir], { env: { PATH: process.env.PATH ?? '', HSM_SIM_MASTER_SECRET: MASTER_SECRET, ...env } });
  };

  it('plain TCP on a non-loopback address is refused with one line naming the variable', async () => {
    const r = await start({ HSM_SIM_TCP: '0.0.0.0:0' });
    expect(r.code).toBe(78);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^hsm-sim: HSM_SIM_TCP: 0\.0\.0\.0 is not a loopback address; plain TCP is refused there, set HSM_SIM_TLS_CERT/);
  });

  it('half a TLS configuration is refused, naming what is missing', async () => {
    const r = await start({ HSM_SIM_TCP: '127.0.0.1:0', HSM_SIM_TLS_CERT: pki.file('server.pem'), HSM_SIM_TLS_CLIENT_CA: pki.file('ca.pem') });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/^hsm-sim: HSM_SIM_TLS_KEY is not set/);
    const noList = await start({ HSM_SIM_TCP: '127.0.0.1:0', HSM_SIM_TLS_CERT: pki.file('server.pem'), HSM_SIM_TLS_KEY: pki.file('server.key'), HSM_SIM_TLS_CLIENT_CA: pki.file('ca.pem') });
    expect(noList.code).toBe(78);
    expect(noList.stderr).toMatch(/^hsm-sim: HSM_SIM_TLS_ALLOWED_CLIENTS_FILE is not set/);
  });

  it('a key that does not belong to the certificate is refused at start, naming HSM_SIM_TLS_KEY', async () => {
    const r = await start({ HSM_SIM_TCP: '127.0.0.1:0', ...pki.deviceEnv(), HSM_SIM_TLS_KEY: pki.file('gateway-a.key') });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/^hsm-sim: HSM_SIM_TLS_KEY: .* is not a usable PEM key for /);
  });

  it('a bad allow-list entry is refused at start, naming the variable and the entry', async () => {
    const r = await start({ HSM_SIM_TCP: '127.0.0.1:0', ...pki.deviceEnv(), HSM_SIM_TLS_ALLOWED_CLIENTS_FILE: '', HSM_SIM_TLS_ALLOWED_CLIENTS: 'sha256:abcd' });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/^hsm-sim: HSM_SIM_TLS_ALLOWED_CLIENTS: entry 1 "sha256:abcd" is neither/);
  });
});
