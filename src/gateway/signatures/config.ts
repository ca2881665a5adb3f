import { FirewallError } from '../../core/errors.ts';

/** Configuration of biological signatures (docs/protocol.md §Configuration). */
export interface SignatureConfig {
  /** WebAuthn relying-party id (WEBAUTHN_RP_ID, default 'localhost'). */
  rpId: string;
  rpName: string;
  /** Origins a clientDataJSON may name (WEBAUTHN_ORIGINS, comma-separated; default the gateway's PUBLIC_URL). */
  origins: string[];
  /** Registration and authentication ceremonies: how long a server-side challenge lives. */
  ceremonyTtlMs: number;
  /** Consecutive failed signature attempts after which the person is locked (SIGNATURE_LOCK_AFTER, default 5). */
  lockAfterFailures: number;
  /** Session connection attempts allowed per challenge per 10 minutes. */
  connectsPerChallenge: number;
  /** Signature sessions a person may start per hour (across challenges). */
  sessionsPerPersonPerHour: number;
  /** Chunk period the device is asked to use, ms. */
  chunkMs: number;
  /** After the sustained duration, how long the device has to send `finish`, ms. */
  finishWithinMs: number;
  /** After `sign`, how long the device has to return its assertion (user verification), ms. */
  signTimeoutMs: number;
  /** How long an opened socket may stay silent before `hello`, ms. */
  helloTimeoutMs: number;
  /** A witness must complete within this long after asking for the options, ms. */
  witnessTtlMs: number;
  /** Most recent fingerprints of anyone's responses to compare with (plus all of the person's own). */
  historyLimit: number;
  /** COSE algorithms accepted for passkeys: EdDSA (-8) and ES256 (-7), nothing else. */
  algorithms: number[];
  /**
   * Days after a person's last interaction at which their biometric data is erased
   * (SIGNATURE_RETENTION_DAYS, default and maximum 1095 = 3 years, BIPA §15(a); docs/privacy.md).
   */
  retentionDays: number;
  /** How often the retention purge runs, ms. */
  retentionEveryMs: number;
  /** People erased per purge run at most, so one run never holds the writer for long. */
  retentionBatch: number;
}

export const COSE_EDDSA = -8;
export const COSE_ES256 = -7;
/** BIPA §15(a): destruction within 3 years of the last interaction at the latest. */
export const MAX_RETENTION_DAYS = 1095;

function int(env: Record<string, string | undefined>, name: string, dflt: number, min: number, max: number, field?: string): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) {
    const named = field === undefined ? name : `${name} (${field})`;
    throw new FirewallError('CONFIG_INVALID', `environment variable ${named}: '${raw}' is not a whole number in ${min}..${max}`, { status: 500, detail: { variable: name, ...(field === undefined ? {} : { field }) } });
  }
  return v;
}

/** Overrides given in code (tests, embedders) are held to the same bounds as the environment. */
export function checkRetentionDays(days: unknown): number {
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS) {
    throw new FirewallError('CONFIG_INVALID', `signature configuration retentionDays: '${String(days)}' is not a whole number of days in 1..${MAX_RETENTION_DAYS} (BIPA: at most 3 years)`, {
      status: 500,
      detail: { field: 'retentionDays' },
    });
  }
  return days;
}

/**
 * Without WEBAUTHN_ORIGINS: the public URL, and when it is a loopback address while the RP ID is
 * `localhost`, the same port on http://localhost too: an IP address cannot be a WebAuthn RP ID, so
 * a browser on this machine (the approver app, docs/approver-app.md) uses localhost.
 */
function defaultOrigins(publicUrl: string, rpId: string): string {
  try {
    const u = new URL(publicUrl);
    if (rpId === 'localhost' && (u.hostname === '127.0.0.1' || u.hostname === '[::1]')) return `${publicUrl},${u.protocol}//localhost${u.port === '' ? '' : `:${u.port}`}`;
  } catch {
    /* checked below, with the variable named */
  }
  return publicUrl;
}

export function loadSignatureConfig(env: Record<string, string | undefined>, publicUrl: string): SignatureConfig {
  const rpId = env['WEBAUTHN_RP_ID'] || 'localhost';
  if (!/^[a-z0-9.-]{1,253}$/i.test(rpId)) {
    throw new FirewallError('CONFIG_INVALID', `environment variable WEBAUTHN_RP_ID: '${rpId}' is not a domain name`, { status: 500, detail: { variable: 'WEBAUTHN_RP_ID' } });
  }
  const origins = (env['WEBAUTHN_ORIGINS'] || defaultOrigins(publicUrl, rpId)).split(',').map((o) => o.trim().replace(/\/+$/, '')).filter((o) => o.length > 0);
  for (const o of origins) {
    let ok = false;
    try {
      const u = new URL(o);
      ok = /^https?:$/.test(u.protocol) && u.pathname === '/' && u.search === '';
    } catch {
      ok = false;
    }
    if (!ok) throw new FirewallError('CONFIG_INVALID', `environment variable WEBAUTHN_ORIGINS: '${o}' is not an origin`, { status: 500, detail: { variable: 'WEBAUTHN_ORIGINS' } });
  }
  return {
    rpId,
    rpName: env['WEBAUTHN_RP_NAME'] || 'Analog Firewall',
    origins,
    ceremonyTtlMs: 5 * 60_000,
    lockAfterFailures: int(env, 'SIGNATURE_LOCK_AFTER', 5, 1, 100),
    connectsPerChallenge: 10,
    sessionsPerPersonPerHour: int(env, 'SIGNATURE_SESSIONS_PER_HOUR', 30, 1, 10_000),
    chunkMs: 250,
    finishWithinMs: 10_000,
    signTimeoutMs: 60_000,
    helloTimeoutMs: 10_000,
    witnessTtlMs: 5 * 60_000,
    historyLimit: 500,
    algorithms: [COSE_EDDSA, COSE_ES256],
    retentionDays: int(env, 'SIGNATURE_RETENTION_DAYS', MAX_RETENTION_DAYS, 1, MAX_RETENTION_DAYS, 'retentionDays'),
    retentionEveryMs: 3600_000,
    retentionBatch: 100,
  };
}
