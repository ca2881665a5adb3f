import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientTls } from '../../hsm-sim/client/connection.ts';
import { ROOT } from './harness.ts';

/** A development PKI made by the documented script (scripts/hsm-sim-dev-pki.sh), with real openssl. */
export interface DevPki {
  dir: string;
  file(name: string): string;
  /** Client credentials for `name`, trusting this PKI's CA for the server. */
  client(name: string): ClientTls;
  /** The device's TLS environment (HSM_SIM_TLS_*), allow list = the script's allowed-clients.txt. */
  deviceEnv(): Record<string, string>;
}

export function makeDevPki(dir: string, clients: string[]): DevPki {
  execFileSync('bash', [join(ROOT, 'scripts/hsm-sim-dev-pki.sh'), dir, ...clients], { stdio: ['ignore', 'ignore', 'inherit'] });
  const file = (name: string) => join(dir, name);
  return {
    dir,
    file,
    client: (name) => ({ ca: readFileSync(file('ca.pem')), cert: readFileSync(file(`${name}.pem`)), key: readFileSync(file(`${name}.key`)) }),
    deviceEnv: () => ({
      HSM_SIM_TLS_CERT: file('server.pem'),
      HSM_SIM_TLS_KEY: file('server.key'),
      HSM_SIM_TLS_CLIENT_CA: file('ca.pem'),
      HSM_SIM_TLS_ALLOWED_CLIENTS_FILE: file('allowed-clients.txt'),
    }),
  };
}

/** Removes `name`'s entry (its "# name" line and the fingerprint under it) from allowed-clients.txt. */
export function withoutClient(allowList: string, name: string): string {
  const lines = allowList.split('\n');
  const at = lines.indexOf(`# ${name}`);
  if (at < 0) throw new Error(`${name} is not in the allow list`);
  lines.splice(at, 2);
  return lines.join('\n');
}
