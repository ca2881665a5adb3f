/**
 * The MCP entrance on two replicas sharing one store and the machine's Redis (a key prefix of this
 * run's own): what one replica spends or revokes holds at the other.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { SignJWT, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { waitFor, type Harness } from '../helpers/harness.ts';
import { redisReplicas } from '../helpers/redis-replicas.ts';
import { accessToken, clientAssertion, rawMcp, tokenRequest } from './helpers.ts';

// The refusals below are failed authentications from one address: no lock-out for them here.
const replicas = redisReplicas('mcp-replicas', { RATE_AUTH_FAILURES_PER_MIN: '1000' });

describe('MCP on two replicas, one Redis', () => {
  it('a token endpoint assertion, a DPoP proof and a token revocation used at one replica hold at the other', async () => {
    const [a, b] = [replicas.a(), replicas.b()];
    const agent = await a.addAgent('agent-mcp-replicas');
    const base = { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' };
    const assertion = () => clientAssertion(a, { id: agent.id, key: agent.key });
    // The assertion that got a token at A gets none at B.
    const once = await assertion();
    expect((await tokenRequest(a, { ...base, client_assertion: once })).status).toBe(200);
    const replayed = await tokenRequest(b, { ...base, client_assertion: once });
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ error: 'invalid_client' });

    // A DPoP proof spent at A is refused at B (both check it against the same public URL).
    const dpopKey = generateKeyPairSync('ed25519');
    const proof = (htu: string, token?: string) =>
      new SignJWT({ htm: 'POST', htu, ...(token === undefined ? {} : { ath: createHash('sha256').update(token).digest('base64url') }) })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'dpop+jwt', jwk: dpopKey.publicKey.export({ format: 'jwk' }) as JWK })
        .setIssuedAt()
        .setJti(crypto.randomUUID())
        .sign(dpopKey.privateKey);
    const issued = await fetch(`${a.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await proof(`${a.publicUrl}/oauth/token`) },
      body: new URLSearchParams({ ...base, client_assertion: await assertion() }).toString(),
    });
    expect(issued.status).toBe(200);
    const dpopToken = ((await issued.json()) as { access_token: string }).access_token;
    const list = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const mcp = (h: Harness, auth: string, dpop?: string) =>
      fetch(`${h.url}/mcp`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(dpop === undefined ? {} : { dpop }) }, body: list });
    const spent = await proof(`${a.publicUrl}/mcp`, dpopToken);
    expect((await mcp(a, `DPoP ${dpopToken}`, spent)).status).toBe(200);
    expect((await mcp(b, `DPoP ${dpopToken}`, spent)).status).toBe(401);
    expect((await mcp(b, `DPoP ${dpopToken}`, await proof(`${a.publicUrl}/mcp`, dpopToken))).status).toBe(200);

    // A token revoked through A is refused by B within a second or so (B reads revocations from the log).
    const token = await accessToken(a, { id: agent.id, key: agent.key });
    expect((await rawMcp(b, token, list)).status).toBe(200);
    const revoke = await fetch(`${a.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_assertion_type: base.client_assertion_type, client_assertion: await assertion() }).toString(),
    });
    expect(revoke.status).toBe(200);
    expect((await rawMcp(a, token, list)).status).toBe(401);
    await waitFor(async () => ((await rawMcp(b, token, list)).status === 401 ? true : undefined), 5_000);
  });

});
