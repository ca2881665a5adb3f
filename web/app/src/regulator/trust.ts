import { verifierKeyDocument } from './console-api.ts';
import { failure, loadRootCertificate, parseCertificate, verifyCheckpoint, verifyKeyAttestation, type VerifiedCheckpoint, type X509Certificate } from './verifier.ts';

/**
 * What the console trusts, and nothing else: the HSM root certificate the regulator pinned (out of
 * band, kept in this browser; a public certificate), and what verifies against it. The log's
 * verifier key comes from the gateway but counts only once its x5c chain leads to the pinned root.
 */
const ROOT_KEY = 'af.regulator.root.v1';

export interface CertificateSummary {
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  /** SHA-256 of the DER (WebCrypto), hex in pairs: what the regulator compares out of band. */
  sha256: string;
}

export async function summarise(cert: X509Certificate): Promise<CertificateSummary> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', cert.rawData));
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join(':'),
  };
}

export function pinnedRoot(): string | null {
  try {
    return localStorage.getItem(ROOT_KEY);
  } catch {
    return null;
  }
}

/** Pins a root (a PEM or DER file's bytes), kept as PEM; refuses anything that is not a CA certificate. */
export async function pinRoot(file: Uint8Array): Promise<CertificateSummary> {
  const text = new TextDecoder().decode(file);
  const pem = text.trimStart().startsWith('-----BEGIN')
    ? text
    : `-----BEGIN CERTIFICATE-----\n${(btoa(String.fromCharCode(...file)).match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`;
  const cert = loadRootCertificate(pem);
  localStorage.setItem(ROOT_KEY, pem);
  return summarise(cert);
}

export function unpinRoot(): void {
  localStorage.removeItem(ROOT_KEY);
}

export async function rootSummary(): Promise<CertificateSummary | null> {
  const pem = pinnedRoot();
  if (pem === null) return null;
  try {
    return await summarise(loadRootCertificate(pem));
  } catch {
    return null;
  }
}

export type Attestation = { state: 'verified'; leafSubject: string } | { state: 'unpinned' } | { state: 'failed'; code: string; message: string };

export interface LogKey {
  origin: string;
  vkey: string;
  attestation: Attestation;
  chain: CertificateSummary[];
}

let key: Promise<LogKey> | undefined;

/** The log's verifier key and whether the pinned root attests it (fetched once per page; `refresh` fetches again). */
export function logKey(refresh = false): Promise<LogKey> {
  if (refresh || key === undefined) {
    const p = (async (): Promise<LogKey> => {
      const doc = await verifierKeyDocument();
      const chain = await Promise.all(doc.x5c.map(async (b64) => summarise(parseCertificate(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))))));
      const root = pinnedRoot();
      let attestation: Attestation = { state: 'unpinned' };
      if (root !== null) {
        try {
          attestation = { state: 'verified', ...(await verifyKeyAttestation(doc.vkey, doc.x5c, root, new Date())) };
        } catch (e) {
          attestation = { state: 'failed', ...failure(e) };
        }
      }
      return { origin: doc.origin, vkey: doc.vkey, attestation, chain };
    })();
    p.catch(() => {
      if (key === p) key = undefined;
    });
    key = p;
  }
  return key;
}

export type CheckpointCheck = { ok: true; checkpoint: VerifiedCheckpoint } | { ok: false; code: string; message: string };

/** A signed checkpoint note checked with the log's key for the log's origin. */
export function checkCheckpoint(note: string, k: LogKey): CheckpointCheck {
  try {
    return { ok: true, checkpoint: verifyCheckpoint(note, k.vkey, k.origin) };
  } catch (e) {
    return { ok: false, ...failure(e) };
  }
}
