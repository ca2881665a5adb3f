import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { FirewallError } from '../core/errors.ts';

export interface BalancerPlan {
  /** Where clients connect: the gateway's PUBLIC_URL. */
  listen: { host: string; port: number };
  replicas: { name: string; host: string; port: number }[];
}

/**
 * HAProxy's configuration for the replicas. Choices that matter to the gateway:
 * - health from /readyz, so a replica that lost its store or its HSM stops receiving requests;
 * - a request is re-sent to another replica only when its connection failed (HAProxy's default
 *   `retry-on conn-failure`): a request that reached a replica is never sent twice by the balancer;
 * - long-lived streams (SSE, the signing WebSocket, long polls) get an hour (`timeout tunnel`) and the
 *   gateway's 60 s long poll fits inside `timeout server`;
 * - X-Forwarded-For is set, and the replicas trust it from the balancer only (TRUSTED_PROXIES).
 */
export function haproxyConfig(p: BalancerPlan): string {
  const servers = p.replicas.map((r) => `  server ${r.name} ${r.host}:${r.port} check`).join('\n');
  return `# Written by \`npm run cluster\`; regenerated at every start.
global
  maxconn 4096

defaults
  mode http
  option forwardfor
  option redispatch
  retries 2
  timeout connect 2s
  timeout client 75s
  timeout server 75s
  timeout http-keep-alive 10s
  timeout tunnel 1h

frontend gateway
  bind ${p.listen.host}:${p.listen.port}
  default_backend replicas

backend replicas
  balance roundrobin
  option httpchk
  http-check send meth GET uri /readyz
  http-check expect status 200
  default-server inter 1s fall 2 rise 2
${servers}
`;
}

/** Validates the configuration with HAProxy itself (`-c`), then runs it in the foreground. */
export function startHaproxy(configFile: string, text: string, onLog: (line: string) => void): ChildProcess {
  writeFileSync(configFile, text);
  const check = spawnSync('haproxy', ['-c', '-q', '-f', configFile], { encoding: 'utf8' });
  if (check.error !== undefined) {
    throw new FirewallError('CLUSTER_BALANCER_MISSING', 'haproxy is not installed (Debian: apt-get install haproxy); `npm run cluster` uses it as the load balancer', { cause: check.error });
  }
  if (check.status !== 0) throw new FirewallError('CLUSTER_BALANCER_INVALID', `haproxy refused ${configFile}: ${(check.stderr || check.stdout).trim().slice(0, 500)}`);
  const child = spawn('haproxy', ['-db', '-f', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [child.stdout!, child.stderr!]) s.on('data', (b: Buffer) => b.toString('utf8').split('\n').filter(Boolean).forEach(onLog));
  return child;
}
