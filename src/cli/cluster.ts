import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FirewallError } from '../core/errors.ts';
import { startHsmSim, type HsmSimProcess } from '../adapters/signer/hsm-sim-process.ts';
import { exampleActuatorPorts } from '../gateway/config.ts';
import { openStoreOnly } from '../main/open-store.ts';
import { parseArgs } from './args.ts';
import { ensureDatabase } from './cluster-database.ts';
import { haproxyConfig, startHaproxy } from './cluster-haproxy.ts';
import { SupervisedReplica, waitReady } from './cluster-replica.ts';
import { movedExamplePolicyText, startExampleActuators } from './example-actuators.ts';
import { ensureDemoPrincipals } from './principals.ts';
import { PROJECT_ROOT } from './project-root.ts';

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/analog_firewall_cluster';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

function port(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 65535) throw new FirewallError('CONFIG_INVALID', `environment variable ${name}: '${raw.slice(0, 40)}' is not a port`, { detail: { variable: name } });
  return n;
}

/**
 * `cluster --replicas N`: the scale-out topology on this machine (docs/operations.md §Cluster): one
 * hsm-sim over mutual TLS, N gateway replicas on one PostgreSQL database and one Redis, and HAProxy
 * in front on PORT. Development and demonstration: the device's secrets and the development PKI are
 * written into DATA_DIR (default data/cluster). Ctrl-C stops everything it started.
 */
export async function runCluster(argv: string[], env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const { flags, positional } = parseArgs(argv, ['replicas']);
  if (positional.length > 0) throw new FirewallError('USAGE', `unexpected argument '${positional[0]}'`, { status: 400 });
  const replicaCount = Number(flags['replicas'] ?? '3');
  if (!Number.isInteger(replicaCount) || replicaCount < 1 || replicaCount > 16) throw new FirewallError('USAGE', '--replicas takes a whole number from 1 to 16', { status: 400 });
  const lbPort = port(env, 'PORT', 8080);
  const replicaPorts = replicaPortList(env, replicaCount, lbPort);
  const dataDir = resolve(env['DATA_DIR'] || 'data/cluster');
  const databaseUrl = env['DATABASE_URL'] || DEFAULT_DATABASE_URL;
  const redisUrl = env['REDIS_URL'] || DEFAULT_REDIS_URL;
  const redisPrefix = env['REDIS_KEY_PREFIX'] || 'af-cluster:';
  const publicUrl = env['PUBLIC_URL'] || `http://127.0.0.1:${lbPort}`;
  const ownPolicy = env['POLICY_FILE'] !== undefined && env['POLICY_FILE'] !== '';
  let policyFile = ownPolicy ? resolve(env['POLICY_FILE']!) : join(PROJECT_ROOT, 'examples/policy.yaml');
  // As `npm start` takes them: a cluster beside another gateway's example actuators moves its own.
  const examplePorts = ownPolicy ? undefined : exampleActuatorPorts(env);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });

  const started: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const s of started.splice(0).reverse()) await s().catch(() => {});
  };
  // From the first moment: Ctrl-C during start-up must not leave replicas running without us.
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void stopAll().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    out(`database: ${(await ensureDatabase(databaseUrl)) === 'created' ? 'created' : 'using'} ${redact(databaseUrl)}`);

    // The development PKI: the device's certificate, and one client certificate per replica and for
    // this process (which initialises the token). Idempotent: kept across restarts.
    const names = Array.from({ length: replicaCount }, (_, i) => `replica-${i + 1}`);
    const pki = join(dataDir, 'hsm-pki');
    const made = spawnSync('bash', [join(PROJECT_ROOT, 'scripts/hsm-sim-dev-pki.sh'), pki, 'cluster', ...names], { encoding: 'utf8' });
    if (made.status !== 0) throw new FirewallError('CLUSTER_PKI_FAILED', `scripts/hsm-sim-dev-pki.sh failed (is openssl installed?): ${(made.stderr || String(made.error)).trim().slice(0, 300)}`);
    const file = (n: string) => join(pki, n);
    const hsm: HsmSimProcess = await startHsmSim({
      dataDir: join(dataDir, 'hsm-sim'),
      tcp: { host: '127.0.0.1', port: port(env, 'CLUSTER_HSM_PORT', lbPort + 100) },
      clientTls: { ca: readFileSync(file('ca.pem')), cert: readFileSync(file('cluster.pem')), key: readFileSync(file('cluster.key')) },
      env: { HSM_SIM_TLS_CERT: file('server.pem'), HSM_SIM_TLS_KEY: file('server.key'), HSM_SIM_TLS_CLIENT_CA: file('ca.pem'), HSM_SIM_TLS_ALLOWED_CLIENTS_FILE: file('allowed-clients.txt') },
      onLog: (l) => out(`[hsm-sim] ${l}`),
    });
    started.push(() => hsm.stop());
    const hsmAddress = hsm.endpoint as { host: string; port: number };
    out(`hsm-sim: ${hsmAddress.host}:${hsmAddress.port} (TLS 1.3, client certificates from ${pki})`);

    if (examplePorts !== undefined) {
      // The example actuators once for the whole cluster (each replica on embedded defaults would start its own).
      const examples = await startExampleActuators({
        ports: examplePorts,
        gatewayUrl: publicUrl,
        issuer: publicUrl,
        onNotification: (n) => out(`[webhook] ${n.type}${n.action === undefined ? '' : ` ${n.action}`} (${n.id})`),
      });
      for (const e of examples) started.push(() => e.close());
      // The replicas read the policy from a file: on moved ports, the example policy as moved.
      const moved = await movedExamplePolicyText(policyFile, examplePorts);
      if (moved !== undefined) {
        policyFile = join(dataDir, 'example-policy.yaml');
        writeFileSync(policyFile, moved, { mode: 0o600 });
      }
      // The README tour's demo principals, in the shared database, their keys in DATA_DIR.
      const { store } = await openStoreOnly({ dataDir, database: { url: databaseUrl } });
      try {
        await ensureDemoPrincipals(store, dataDir, Date.now());
      } finally {
        await store.close();
      }
    }

    const replicas = names.map(
      (name, i) =>
        new SupervisedReplica({
          name,
          port: replicaPorts[i]!,
          log: out,
          env: replicaEnv(env, {
            PORT: String(replicaPorts[i]),
            HOST: '127.0.0.1',
            PUBLIC_URL: publicUrl,
            GATEWAY_ID: env['GATEWAY_ID'] || publicUrl,
            POLICY_FILE: policyFile,
            DATA_DIR: join(dataDir, name),
            DATABASE_URL: databaseUrl,
            REDIS_URL: redisUrl,
            REDIS_KEY_PREFIX: redisPrefix,
            TRUSTED_PROXIES: '127.0.0.1',
            // One VAPID key for all: a phone subscribed to Web Push through one replica hears from every one.
            APP_PUSH_VAPID_FILE: join(dataDir, 'vapid.json'),
            HSM_SIM_TCP: `${hsmAddress.host}:${hsmAddress.port}`,
            HSM_SIM_USER_PIN: hsm.userPin,
            HSM_SIM_TLS_CA: file('ca.pem'),
            HSM_SIM_TLS_CLIENT_CERT: file(`${name}.pem`),
            HSM_SIM_TLS_CLIENT_KEY: file(`${name}.key`),
          }),
        }),
    );
    for (const r of replicas) {
      r.start();
      started.push(() => r.stop());
    }
    await Promise.all(replicas.map((r) => waitReady(`http://127.0.0.1:${r.port}/readyz`, 60_000)));

    const balancer: ChildProcess = startHaproxy(
      join(dataDir, 'haproxy.cfg'),
      haproxyConfig({ listen: { host: '127.0.0.1', port: lbPort }, replicas: replicas.map((r) => ({ name: r.name, host: '127.0.0.1', port: r.port })) }),
      (l) => out(`[haproxy] ${l}`),
    );
    started.push(async () => {
      if (balancer.exitCode !== null || balancer.signalCode !== null) return;
      const gone = new Promise<void>((r) => balancer.once('exit', () => r()));
      balancer.kill('SIGTERM');
      await gone;
    });
    await waitReady(`http://127.0.0.1:${lbPort}/readyz`, 30_000);
    out(`Analog Firewall cluster: ${publicUrl} → ${replicas.map((r) => `${r.name} :${r.port} (pid ${r.pid})`).join(', ')}`);
    out(`PostgreSQL ${redact(databaseUrl)}, Redis ${redact(redisUrl)} (prefix ${redisPrefix}); data in ${dataDir}. Ctrl-C stops the cluster.`);
  } catch (e) {
    await stopAll();
    throw e;
  }
  return -1; // keep running
}

/** CLUSTER_REPLICA_PORTS (one per replica, comma-separated), else PORT+1, PORT+2, … */
function replicaPortList(env: NodeJS.ProcessEnv, count: number, lbPort: number): number[] {
  const raw = env['CLUSTER_REPLICA_PORTS'];
  if (raw === undefined || raw === '') return Array.from({ length: count }, (_, i) => lbPort + 1 + i);
  const list = raw.split(',').map((p) => p.trim());
  const ports = list.map((p) => Number(p));
  if (list.length !== count || ports.some((n, i) => !/^\d+$/.test(list[i]!) || n < 1 || n > 65535) || new Set([...ports, lbPort]).size !== count + 1) {
    throw new FirewallError('CONFIG_INVALID', `environment variable CLUSTER_REPLICA_PORTS: expected ${count} distinct ports other than PORT, separated by commas`, { detail: { variable: 'CLUSTER_REPLICA_PORTS' } });
  }
  return ports;
}

/** The replica's environment: ours, without anything that would point it at another device or store. */
function replicaEnv(env: NodeJS.ProcessEnv, own: Record<string, string>): NodeJS.ProcessEnv {
  const { HSM_SIM_SOCKET: _s, HSM_SIM_MASTER_SECRET: _m, HSM_SIM_SO_PIN: _p, ...rest } = env;
  return { ...rest, ...own };
}

/** A URL as it may be printed: without its password. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
