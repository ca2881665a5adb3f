/** Throwaway attestation PKI for tests, made with the openssl CLI: a CA and leaves for given keys. */
import { execFileSync } from 'node:child_process';
import { X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  rootPem: string;
  rootDer: Buffer;
  /** Issue a leaf certificate for `publicKey`; returns base64 DER (x5c element). */
  issue(publicKey: KeyObject, cn: string): string;
  /** Base64 DER of the root (to append to x5c chains). */
  rootB64: string;
  dispose(): void;
}

let serial = 100;

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function createTestPki(name = 'Test HSM Root'): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'tlog-pki-'));
  openssl(['genpkey', '-algorithm', 'ed25519', '-out', 'root.key'], dir);
  openssl(
    [
      'req', '-x509', '-new', '-key', 'root.key', '-subj', `/CN=${name}`, '-days', '30', '-out', 'root.pem',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  openssl(['genpkey', '-algorithm', 'ed25519', '-out', 'csr.key'], dir);
  writeFileSync(join(dir, 'ext.cnf'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n');
  const rootPem = readFileSync(join(dir, 'root.pem'), 'utf8');
  const rootDer = Buffer.from(new X509Certificate(rootPem).raw);
  return {
    rootPem,
    rootDer,
    rootB64: rootDer.toString('base64'),
    issue(publicKey, cn) {
      const id = serial++;
      writeFileSync(join(dir, `k${id}.pem`), publicKey.export({ type: 'spki', format: 'pem' }));
      openssl(['req', '-new', '-key', 'csr.key', '-subj', `/CN=${cn}`, '-out', `l${id}.csr`], dir);
      openssl(
        [
          'x509', '-req', '-in', `l${id}.csr`, '-CA', 'root.pem', '-CAkey', 'root.key', '-set_serial', String(id), '-days', '30',
          '-force_pubkey', `k${id}.pem`, '-extfile', 'ext.cnf', '-out', `l${id}.pem`,
        ],
        dir,
      );
      return Buffer.from(new X509Certificate(readFileSync(join(dir, `l${id}.pem`))).raw).toString('base64');
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
