/**
 * Issue 16 item 6: docker-compose.yml describes the cluster's topology. There is no container engine
 * here, so Debian's docker-compose validates the file (`docker-compose config`) and the test checks
 * what it resolved: who talks to whom, with which credentials, and the balancer's configuration.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { composeHaproxyConfig, haproxyBinary } from '../../src/cli/cluster-haproxy.ts';
import { ROOT } from '../helpers/harness.ts';

const SECRETS = { POSTGRES_PASSWORD: 'pg-secret', HSM_SIM_MASTER_SECRET: 'master-secret', HSM_SIM_SO_PIN: 'so-pin', HSM_SIM_USER_PIN: 'user-pin' };

function composeConfig(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const { PATH, HOME } = process.env;
  return spawnSync('docker-compose', ['config'], { cwd: ROOT, encoding: 'utf8', env: { PATH: PATH ?? '/usr/bin:/bin', HOME: HOME ?? '/tmp', ...env } });
}

interface Service {
  build?: { target: string };
  image?: string;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  networks?: Record<string, { ipv4_address?: string } | null>;
  /** docker-compose 1.x prints volumes in the short form, SOURCE:TARGET[:MODE]. */
  volumes?: string[];
}

describe('docker-compose.yml', () => {
  const run = composeConfig(SECRETS);
  const config = run.status === 0 ? (parse(run.stdout) as { services: Record<string, Service> }) : undefined;

  it('is valid for docker-compose with the four secrets given', () => {
    expect(run.status, run.stderr).toBe(0);
    expect(Object.keys(config!.services).sort()).toEqual(['haproxy', 'hsm-init', 'hsm-pki', 'hsm-sim', 'postgres', 'redis', 'replica-1', 'replica-2', 'replica-3']);
  });

  it('refuses to resolve without each secret, naming it', () => {
    for (const name of Object.keys(SECRETS)) {
      const { [name]: _, ...rest } = SECRETS as Record<string, string>;
      const r = composeConfig(rest);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`set ${name}`);
    }
  });

  it('replicas share one PostgreSQL, one Redis and one HSM over mutual TLS, each with its own client certificate, and trust only the balancer', () => {
    const s = config!.services;
    const balancer = s['haproxy']!.networks!['firewall']!.ipv4_address;
    expect(balancer).toBeDefined();
    for (const name of ['replica-1', 'replica-2', 'replica-3']) {
      const e = s[name]!.environment!;
      expect(s[name]!.build!.target).toBe('gateway');
      expect(e['DATABASE_URL']).toBe(`postgres://analog:${SECRETS.POSTGRES_PASSWORD}@postgres:5432/analog_firewall`);
      expect(e['REDIS_URL']).toBe('redis://redis:6379');
      expect(e['HSM_SIM_TCP']).toBe('hsm-sim:5696');
      expect(e['HSM_SIM_TLS_CLIENT_CERT']).toBe(`/pki/${name}.pem`);
      expect(e['HSM_SIM_TLS_CLIENT_KEY']).toBe(`/pki/${name}.key`);
      expect(e['TRUSTED_PROXIES']).toBe(balancer);
      expect(e['APP_PUSH_VAPID_FILE']).toBe('/var/lib/analog-firewall/shared/vapid.json');
      expect(s[name]!.volumes).toContain('app-shared:/var/lib/analog-firewall/shared:rw');
      expect(e['PUBLIC_URL']).toBe(e['GATEWAY_ID']);
      expect(s[name]!.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' }, 'hsm-init': { condition: 'service_completed_successfully' } });
      // The replicas never see the device's master secret or the SO PIN.
      expect(Object.keys(e)).not.toContain('HSM_SIM_MASTER_SECRET');
      expect(Object.keys(e)).not.toContain('HSM_SIM_SO_PIN');
    }
    expect(s['hsm-sim']!.environment!['HSM_SIM_TLS_CERT']).toBe('/pki/server.pem');
    expect(s['hsm-pki']!.environment!['HSM_PKI_SERVER_SAN']).toBe('DNS:hsm-sim');
    expect(s['redis']!.environment ?? {}).toEqual({});
  });

  it('builds only targets the Dockerfile has', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const targets = new Set([...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]));
    for (const [name, svc] of Object.entries(config!.services)) if (svc.build) expect(targets.has(svc.build.target), `${name}: ${svc.build.target}`).toBe(true);
  });

  it("uses deploy/haproxy.cfg as `npm run cluster` writes it for three replicas, and HAProxy accepts it", () => {
    const file = join(ROOT, 'deploy/haproxy.cfg');
    expect(readFileSync(file, 'utf8')).toBe(composeHaproxyConfig());
    const check = spawnSync(haproxyBinary(), ['-c', '-q', '-f', file], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
  });
});
