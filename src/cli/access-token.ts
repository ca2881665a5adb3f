import { createPrivateKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { FirewallError } from '../core/errors.ts';
import { parseArgs } from './args.ts';

/**
 * `access-token`: asks the gateway's token endpoint for an MCP access token the way an MCP client
 * does (client credentials, private_key_jwt signed with the agent's key) and prints it.
 */
export async function runAccessToken(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, ['key', 'id', 'gateway']);
  if (flags['key'] === undefined) throw new FirewallError('USAGE', 'usage: access-token --key JWK_FILE [--id ID] [--gateway URL]', { status: 400 });
  const jwk = JSON.parse(readFileSync(flags['key'], 'utf8')) as JsonWebKey & { kid?: string };
  const id = flags['id'] ?? jwk.kid;
  if (id === undefined) throw new FirewallError('USAGE', 'the key file has no kid: pass --id', { status: 400 });
  const gateway = (flags['gateway'] ?? process.env['PUBLIC_URL'] ?? `http://127.0.0.1:${process.env['PORT'] ?? 8080}`).replace(/\/+$/, '');
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: jwk.crv === 'Ed25519' ? 'EdDSA' : 'ES256' })
    .setIssuer(id)
    .setSubject(id)
    .setAudience(`${gateway}/oauth/token`)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .setJti(randomUUID())
    .sign(createPrivateKey({ key: jwk, format: 'jwk' }));
  const res = await fetch(`${gateway}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }).toString(),
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; error?: string; error_description?: string };
  if (res.status !== 200 || body.access_token === undefined) {
    process.stderr.write(`the token endpoint refused: ${body.error ?? res.status} ${body.error_description ?? ''}\n`);
    return 1;
  }
  process.stdout.write(body.access_token + '\n');
  return 0;
}
