import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FirewallError } from '../core/errors.ts';

export interface BalancerPlan {
  /** Where clients connect: the gateway's PUBLIC_URL. */
  listen: { host: string; port: number };
  replicas: { name: string; host: string; port: number }[];
  /** Replicas named by Docker's DNS (docker-compose.yml): resolved at run time, so a replica not yet up does not stop HAProxy. */
  dockerDns?: boolean;
  /** First comment line: who wrote the file. */
  writtenBy?: string;
}

/**
 * HAProxy's configuration for the replicas. Choices that matter to the gateway:
 * - health from /readyz, so a replica that lost its store or its HSM stops receiving requests;
 * - a request whose replica died under it (refused, reset, closed without an answer) is re-sent
 *   to another replica, but only a read (GET, HEAD) or a request with an Idempotency-Key: the
 *   gateway answers a repeated key with the first action, so nothing executes twice; any other
 *   request is retried only when its connection was never made;
 * - long-lived streams (SSE, the signing WebSocket, long polls) get an hour (`timeout tunnel`) and the
 *   gateway's 60 s long poll fits inside `timeout server`;
 * - X-Forwarded-For is set, and the replicas trust it from the balancer only (TRUSTED_PROXIES).
 */
export function haproxyConfig(p: BalancerPlan): string {
  const dns = p.dockerDns === true;
  const servers = p.replicas.map((r) => `  server ${r.name} ${r.host}:${r.port} check${dns ? ' resolvers docker init-addr last,libc,none' : ''}`).join('\n');
  const resolvers = dns ? '\nresolvers docker\n  nameserver dns 127.0.0.11:53\n  hold valid 5s\n' : '';
  return `# ${p.writtenBy ?? 'Written by `npm run cluster`; regenerated at every start.'}
global
  maxconn 4096
  log stdout format raw local0 info
${resolvers}
defaults
  mode http
  log global
  option httplog
  option forwardfor
  option redispatch
  retries 2
  retry-on conn-failure empty-response response-timeout
  timeout connect 2s
  timeout client 75s
  timeout server 75s
  timeout http-keep-alive 10s
  timeout tunnel 1h

frontend gateway
  bind ${p.listen.host}:${p.listen.port}
  http-request disable-l7-retry if !METH_GET !METH_HEAD !{ req.hdr(idempotency-key) -m found }
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

/**
 * The haproxy binary: on PATH, else where Debian puts it (/usr/sbin, which a user's PATH, or a CI
 * job's, often leaves out). `haproxy` when found nowhere, so the spawn reports it missing.
 */
export function haproxyBinary(path = process.env['PATH'] ?? ''): string {
  for (const dir of [...path.split(':').filter(Boolean), '/usr/sbin', '/usr/local/sbin']) {
    const candidate = join(dir, 'haproxy');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return 'haproxy';
}

/** Validates the configuration with HAProxy itself (`-c`), then runs it in the foreground. */
export function startHaproxy(configFile: string, text: string, onLog: (line: string) => void): ChildProcess {
  writeFileSync(configFile, text);
  const bin = haproxyBinary();
  const check = spawnSync(bin, ['-c', '-q', '-f', configFile], { encoding: 'utf8' });
  if (check.error !== undefined) {
    throw new FirewallError('CLUSTER_BALANCER_MISSING', 'haproxy is not installed (Debian: apt-get install haproxy); `npm run cluster` uses it as the load balancer', { cause: check.error });
  }
  if (check.status !== 0) throw new FirewallError('CLUSTER_BALANCER_INVALID', `haproxy refused ${configFile}: ${(check.stderr || check.stdout).trim().slice(0, 500)}`);
  // HAProxy cannot watch its parent, so a shell does it: HAProxy stops when this process's pipe on
  // the shell's stdin closes (this process was killed outright) or when the shell is told to stop.
  // (fd 3: a background job's stdin would otherwise be /dev/null.)
  const watch = 'exec 3<&0; h="$1"; shift; "$h" "$@" & p=$!; trap \'kill "$p" 2>/dev/null\' TERM INT; (cat <&3 >/dev/null; kill "$p" 2>/dev/null) & wait "$p"; wait "$p"';
  const child = spawn('bash', ['-c', watch, 'haproxy', bin, '-db', '-f', configFile], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin!.on('error', () => {});
  for (const s of [child.stdout!, child.stderr!]) s.on('data', (b: Buffer) => b.toString('utf8').split('\n').filter(Boolean).forEach(onLog));
  return child;
}

/** deploy/haproxy.cfg, the balancer of docker-compose.yml: the same configuration for its three replicas (a test keeps the file equal to this). */
export function composeHaproxyConfig(): string {
  return haproxyConfig({
    listen: { host: '0.0.0.0', port: 8080 },
    replicas: [1, 2, 3].map((i) => ({ name: `replica-${i}`, host: `replica-${i}`, port: 8080 })),
    dockerDns: true,
    writtenBy: 'The balancer of docker-compose.yml, from haproxyConfig() in src/cli/cluster-haproxy.ts (test/cluster/compose.test.ts keeps them equal).',
  });
}
