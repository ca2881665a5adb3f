import { api, ApiError } from '../api.ts';

export { ApiError };

/** The console's API (same origin; the HttpOnly session cookie goes along by itself). */
export function consoleApi<T>(method: string, path: string, body?: unknown): Promise<T> {
  return api<T>(method, `/regulator${path}`, body);
}

export interface ConsoleSession {
  person: string;
  scopes: string[];
  /** NumericDate (seconds). */
  exp: number;
  jti: string;
}

/** A query string from the non-empty values. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

/** The public log endpoints (no credential): the latest checkpoint and its verifier key with the HSM's x5c chain. */
export async function latestCheckpointNote(): Promise<string> {
  const res = await fetch('/log/checkpoint', { credentials: 'omit', cache: 'no-store' });
  if (!res.ok) throw new ApiError('CHECKPOINT_UNAVAILABLE', res.status, `the gateway answered ${res.status} for its checkpoint`);
  return res.text();
}

export interface VerifierKeyDocument {
  origin: string;
  vkey: string;
  keyId: string;
  x5c: string[];
}

export async function verifierKeyDocument(): Promise<VerifierKeyDocument> {
  const res = await fetch('/log/v1/verifier-key', { credentials: 'omit', cache: 'no-store' });
  if (!res.ok) throw new ApiError('VERIFIER_KEY_UNAVAILABLE', res.status, `the gateway answered ${res.status} for its verifier key`);
  return (await res.json()) as VerifierKeyDocument;
}
