import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isFirewallError } from '../../src/core/errors.ts';
import { loadConfig } from '../../src/gateway/config.ts';
import { freePort } from '../helpers/free-port.ts';
import { ROOT } from '../helpers/harness.ts';

/** `npm start` with TLS_CERT/TLS_KEY serves HTTPS and prints the approver app's URL. */
const dir = mkdtempSync(join(tmpdir(), 'af-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function selfSigned(): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

describe('TLS and the printed app URL', () => {
  it('refuses half a TLS configuration, or a file that is not PEM, naming the variable', () => {
    const tryLoad = (env: Record<string, string>) => {
      try {
        loadConfig(env, dir, ROOT);
        return 'loaded';
      } catch (e) {
        return isFirewallError(e, 'CONFIG_INVALID') ? String(e.detail?.['variable']) : 'other';
      }
    };
    const { cert, key } = selfSigned();
    expect(tryLoad({ TLS_CERT: cert })).toBe('TLS_KEY');
    expect(tryLoad({ TLS_KEY: key })).toBe('TLS_CERT');
    expect(tryLoad({ TLS_CERT: key, TLS_KEY: key })).toBe('TLS_CERT');
    expect(tryLoad({ TLS_CERT: cert, TLS_KEY: join(dir, 'missing.pem') })).toBe('TLS_KEY');
    expect(loadConfig({ TLS_CERT: cert, TLS_KEY: key, PORT: '8443' }, dir, ROOT).publicUrl).toBe('https://127.0.0.1:8443');
  });

  it('serves the app over HTTPS with HSTS, and prints its URL at start', async () => {
    const { cert, key } = selfSigned();
    const port = await freePort();
    const env = {
      ...process.env,
      PORT: String(port),
      DATA_DIR: join(dir, 'data'),
      POLICY_FILE: join(ROOT, 'examples/policy.yaml'),
      TLS_CERT: cert,
      TLS_KEY: key,
      PUBLIC_URL: `https://localhost:${port}`,
      LOG_LEVEL: 'warn',
    };
    const child = spawn(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setInterval(() => {
          if (out.includes('Approver app: ')) {
            clearInterval(t);
            resolve();
          } else if (child.exitCode !== null) {
            clearInterval(t);
            reject(new Error(`gateway exited:\n${out}`));
          }
        }, 50);
      });
      expect(out).toContain(`Approver app: https://localhost:${port}/app/`);
      const res = await new Promise<{ status: number; hsts: string | undefined; body: string }>((resolve, reject) => {
        get(`https://localhost:${port}/app/`, { ca: readFileSync(cert) }, (r) => {
          let body = '';
          r.on('data', (d: Buffer) => (body += d.toString()));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, hsts: r.headers['strict-transport-security'] as string | undefined, body }));
        }).on('error', reject);
      });
      expect(res.status).toBe(200);
      expect(res.hsts).toMatch(/max-age=\d+/);
      expect(res.body).toContain('integrity="sha384-');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
