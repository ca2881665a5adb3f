/**
 * TLS for the device's TCP listener, as network HSMs serve their clients (Thales Luna NTLS,
 * Entrust nShield Connect): TLS 1.3 only, a client certificate is required and must chain to the
 * configured client CA, and then its SHA-256 fingerprint (or its subject CN) must be on the allow
 * list, so one gateway's certificate can be withdrawn without re-issuing the others. The allow
 * list is re-read on SIGHUP; sessions whose certificate is no longer allowed are then closed.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type TLSSocket } from 'node:tls';
import { FirewallError } from '../../src/core/errors.ts';

export interface TlsServerFiles {
  /** PEM server certificate chain (HSM_SIM_TLS_CERT). */
  certFile: string;
  /** PEM server private key (HSM_SIM_TLS_KEY). */
  keyFile: string;
  /** PEM CA certificate(s) that client certificates must chain to (HSM_SIM_TLS_CLIENT_CA). */
  clientCaFile: string;
  /** Allowed clients, one per line (HSM_SIM_TLS_ALLOWED_CLIENTS_FILE), or inline (HSM_SIM_TLS_ALLOWED_CLIENTS). */
  allowedClients: { file: string } | { inline: string };
}

export interface TlsServerMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

/**
 * Allowed clients: `sha256:<64 hex>` (colons allowed, any case) names one certificate;
 * `cn:<name>` any certificate from the client CA whose subject CN is exactly <name>.
 * Blank lines and lines starting with # are ignored.
 */
export interface AllowList {
  fingerprints: Set<string>;
  commonNames: Set<string>;
}

function tlsConfigError(variable: string, message: string): FirewallError {
  return new FirewallError('HSM_SIM_CONFIG_INVALID', `${variable}: ${message}`, { detail: { variable } });
}

function readPem(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw tlsConfigError(variable, `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

export function loadTlsMaterial(files: TlsServerFiles): TlsServerMaterial {
  const material = { cert: readPem('HSM_SIM_TLS_CERT', files.certFile), key: readPem('HSM_SIM_TLS_KEY', files.keyFile), ca: readPem('HSM_SIM_TLS_CLIENT_CA', files.clientCaFile) };
  for (const [variable, pem, file] of [['HSM_SIM_TLS_CLIENT_CA', material.ca, files.clientCaFile], ['HSM_SIM_TLS_CERT', material.cert, files.certFile]] as const) {
    try {
      new X509Certificate(pem);
    } catch {
      throw tlsConfigError(variable, `${file} is not a PEM certificate`);
    }
  }
  try {
    createSecureContext({ cert: material.cert, key: material.key, ca: material.ca, minVersion: 'TLSv1.3' });
  } catch (e) {
    // OpenSSL's reason (e.g. "key values mismatch"), never the key itself.
    throw tlsConfigError('HSM_SIM_TLS_KEY', `${files.keyFile} is not a usable PEM key for ${files.certFile} (${(e as { reason?: string }).reason ?? (e as Error).message})`);
  }
  return material;
}

export function parseAllowList(text: string, variable: string): AllowList {
  const list: AllowList = { fingerprints: new Set(), commonNames: new Set() };
  for (const [i, raw] of text.split(/[\n,]/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fp = /^sha256:((?:[0-9a-fA-F]{2}:?){31}[0-9a-fA-F]{2})$/.exec(line);
    if (fp !== null) list.fingerprints.add(fp[1]!.replace(/:/g, '').toLowerCase());
    else if (line.startsWith('cn:') && line.length > 3) list.commonNames.add(line.slice(3));
    else throw tlsConfigError(variable, `entry ${i + 1} "${line.slice(0, 80)}" is neither sha256:<fingerprint> nor cn:<name>`);
  }
  if (list.fingerprints.size === 0 && list.commonNames.size === 0) throw tlsConfigError(variable, 'no client is allowed; list at least one sha256:<fingerprint> or cn:<name>');
  return list;
}

export function loadAllowList(source: TlsServerFiles['allowedClients']): AllowList {
  if ('inline' in source) return parseAllowList(source.inline, 'HSM_SIM_TLS_ALLOWED_CLIENTS');
  let text: string;
  try {
    text = readFileSync(source.file, 'utf8');
  } catch (e) {
    throw tlsConfigError('HSM_SIM_TLS_ALLOWED_CLIENTS_FILE', `cannot read ${source.file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseAllowList(text, 'HSM_SIM_TLS_ALLOWED_CLIENTS_FILE');
}

/** Who is on the other end of an authenticated TLS session: the leaf's fingerprint and subject CN. */
export interface ClientIdentity {
  fingerprint: string;
  commonName: string | undefined;
}

export function clientIdentity(socket: TLSSocket): ClientIdentity | undefined {
  const peer = socket.getPeerX509Certificate();
  if (peer === undefined) return undefined;
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(peer.subject)?.[1];
  return { fingerprint: createHash('sha256').update(peer.raw).digest('hex'), commonName: cn };
}

export function isAllowed(list: AllowList, id: ClientIdentity): boolean {
  return list.fingerprints.has(id.fingerprint) || (id.commonName !== undefined && list.commonNames.has(id.commonName));
}
