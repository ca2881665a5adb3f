import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { ExportBundle } from '../../../src/core/checkpoint/bundle-format.ts';
import { registerPrincipal } from '../../../src/gateway/register-principal.ts';
import type { Harness } from '../../helpers/harness.ts';

export interface Principal {
  id: string;
  key: KeyObject;
}

export async function addPrincipal(h: Harness, id: string, roles: string[]): Promise<Principal> {
  const k = generateKeyPairSync('ed25519');
  await registerPrincipal(h.gw.ctx.store, { id, roles, publicJwk: k.publicKey.export({ format: 'jwk' }) }, Date.now());
  return { id, key: k.privateKey };
}

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  jti: string;
  exp: number;
  logIndex: number;
}

export async function issueToken(h: Harness, who: Principal, body: Record<string, unknown> = {}): Promise<TokenResponse> {
  const res = await h.as(who, 'POST', '/v1/regulator/tokens', { body });
  if (res.status !== 201) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as TokenResponse;
}

export function withToken(h: Harness, token: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(h.url + path, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` } });
}

export async function exportWith(h: Harness, token: string, query = ''): Promise<ExportBundle> {
  const res = await withToken(h, token, `/v1/regulator/export${query}`);
  if (res.status !== 200) throw new Error(`export failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as ExportBundle;
}

export interface LoggedEntry {
  index: number;
  entry: Record<string, unknown>;
}

export async function entriesWith(h: Harness, token: string, query: string): Promise<LoggedEntry[]> {
  const res = await withToken(h, token, `/log/v1/entries?${query}`);
  if (res.status !== 200) throw new Error(`query failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { entries: LoggedEntry[] }).entries;
}
