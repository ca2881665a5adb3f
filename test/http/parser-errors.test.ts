import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

/** Sends raw bytes and reads everything until the server closes the connection. */
function exchange(bytes: string | Buffer): Promise<{ status: number; headers: string; body: string }> {
  const u = new URL(h.url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => s.write(bytes));
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', reject);
    s.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const at = text.indexOf('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), headers: text.slice(0, at), body: text.slice(at + 4) });
    });
  });
}

async function expectProblem(bytes: string | Buffer, status: number, code: string): Promise<void> {
  const r = await exchange(bytes);
  expect(r.status, r.headers).toBe(status);
  expect(r.headers).toMatch(/content-type: application\/problem\+json/i);
  const p = JSON.parse(r.body) as Record<string, unknown>;
  expect(p).toMatchObject({ status, code, type: `https://analog-firewall.dev/problems/${code.toLowerCase().replace(/_/g, '-')}` });
}

describe("errors from Node's HTTP parser are problem+json", () => {
  it('a bad request line', async () => {
    await expectProblem('GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n', 400, 'HTTP_REQUEST_LINE_INVALID');
    await expectProblem('G(ET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'HTTP_REQUEST_LINE_INVALID');
  });

  it('headers past the size limit', async () => {
    await expectProblem(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'HTTP_HEADERS_TOO_LARGE');
  });

  it('bad chunking and conflicting framing', async () => {
    await expectProblem('POST /v1/actions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nab\r\n0\r\n\r\n', 400, 'HTTP_FRAMING_INVALID');
    await expectProblem('POST /v1/actions HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 400, 'HTTP_FRAMING_INVALID');
  });

  it('a folded header line and a NUL in a header', async () => {
    await expectProblem('GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n', 400, 'HTTP_HEADER_INVALID');
    await expectProblem(Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: o\u0000ne\r\n\r\n', 'latin1'), 400, 'HTTP_HEADER_INVALID');
  });

  it('an Expect the gateway does not support; 100-continue still works', async () => {
    await expectProblem('GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nConnection: close\r\n\r\n', 417, 'EXPECTATION_UNSUPPORTED');
    const ok = await exchange('GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n');
    expect(ok.headers).toMatch(/HTTP\/1\.1 100 Continue/);
    expect(ok.body).toMatch(/HTTP\/1\.1 200 OK/);
  });
});
