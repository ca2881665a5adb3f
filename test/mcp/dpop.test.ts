import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { decodeJwt, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { clientAssertion, tokenRequest } from './helpers.ts';

/** DPoP (RFC 9449): a token bound to the client's key when it asks, and proof of that key on every /mcp request. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const client = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');

async function proof(key: { privateKey: KeyObject; publicKey: KeyObject }, htu: string, o: { token?: string; htm?: string; iat?: number } = {}): Promise<string> {
  return new SignJWT({ htm: o.htm ?? 'POST', htu, ...(o.token === undefined ? {} : { ath: createHash('sha256').update(o.token).digest('base64url') }) })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'dpop+jwt', jwk: key.publicKey.export({ format: 'jwk' }) as JWK })
    .setIssuedAt(o.iat ?? Math.floor(Date.now() / 1000))
    .setJti(crypto.randomUUID())
    .sign(key.privateKey);
}

async function dpopToken(): Promise<string> {
  const res = await fetch(`${h.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await proof(client, `${h.url}/oauth/token`) },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await clientAssertion(h) }).toString(),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { access_token: string; token_type: string };
  expect(body.token_type).toBe('DPoP');
  return body.access_token;
}

const list = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
function mcp(auth: string, dpop?: string): Promise<Response> {
  return fetch(`${h.url}/mcp`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(dpop === undefined ? {} : { dpop }) },
    body: list,
  });
}

describe('DPoP-bound agent tokens', () => {
  it('a token requested with a proof is bound to its key (cnf.jkt) and works only with a fresh proof by that key', async () => {
    const token = await dpopToken();
    expect(decodeJwt(token)['cnf']).toEqual({ jkt: expect.any(String) });
    const good = await proof(client, `${h.url}/mcp`, { token });
    expect((await mcp(`DPoP ${token}`, good)).status).toBe(200);
    // The same proof again, no proof, the bearer scheme, another key, another token's ath, a stale iat: refused.
    expect((await mcp(`DPoP ${token}`, good)).status).toBe(401);
    expect((await mcp(`DPoP ${token}`)).status).toBe(401);
    expect((await mcp(`Bearer ${token}`, await proof(client, `${h.url}/mcp`, { token }))).status).toBe(401);
    expect((await mcp(`DPoP ${token}`, await proof(other, `${h.url}/mcp`, { token }))).status).toBe(401);
    expect((await mcp(`DPoP ${token}`, await proof(client, `${h.url}/mcp`, { token: 'another' }))).status).toBe(401);
    expect((await mcp(`DPoP ${token}`, await proof(client, `${h.url}/mcp`, { token, iat: Math.floor(Date.now() / 1000) - 600 }))).status).toBe(401);
    const r = await mcp(`DPoP ${token}`, await proof(client, `${h.url}/elsewhere`, { token }));
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('a bearer token cannot be presented with the DPoP scheme; a bad proof at the token endpoint is invalid_dpop_proof', async () => {
    const res = await tokenRequest(h, { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await clientAssertion(h) });
    const bearer = ((await res.json()) as { access_token: string }).access_token;
    expect((await mcp(`DPoP ${bearer}`, await proof(client, `${h.url}/mcp`, { token: bearer }))).status).toBe(401);
    const bad = await fetch(`${h.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await proof(client, `${h.url}/oauth/token`, { htm: 'GET' }) },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await clientAssertion(h) }).toString(),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_dpop_proof' });
  });
});
