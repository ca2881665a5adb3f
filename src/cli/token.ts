import { createPrivateKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { FirewallError } from '../core/errors.ts';
import { parseArgs } from './args.ts';

/** Prints a fresh client assertion bound to METHOD and PATH on the gateway (for curl). */
export async function runToken(argv: string[]): Promise<number> {
  const { flags, positional } = parseArgs(argv, ['key', 'id', 'gateway']);
  const [method, path] = positional;
  if (flags['key'] === undefined || method === undefined || path === undefined) {
    throw new FirewallError('USAGE', 'usage: token --key JWK_FILE [--id ID] [--gateway URL] METHOD PATH', { status: 400 });
  }
  const token = await mintAssertion({ keyFile: flags['key'], id: flags['id'], gateway: gatewayOf(flags['gateway']), method, path });
  process.stdout.write(token + '\n');
  return 0;
}

/** The gateway's base URL: --gateway, else PUBLIC_URL, else this machine's PORT. */
export function gatewayOf(flag: string | undefined): string {
  return (flag ?? process.env['PUBLIC_URL'] ?? `http://127.0.0.1:${process.env['PORT'] ?? 8080}`).replace(/\/+$/, '');
}

/** A one-use client assertion (docs/api.md §Authentication) signed with the principal's private JWK. */
export async function mintAssertion(o: { keyFile: string; id: string | undefined; gateway: string; method: string; path: string }): Promise<string> {
  const jwk = JSON.parse(readFileSync(o.keyFile, 'utf8')) as JsonWebKey & { kid?: string };
  const id = o.id ?? jwk.kid;
  if (id === undefined) throw new FirewallError('USAGE', 'the key file has no kid: pass --id', { status: 400 });
  const key = createPrivateKey({ key: jwk, format: 'jwk' });
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ htm: o.method.toUpperCase(), htu: o.gateway + o.path.split('?')[0] })
    .setProtectedHeader({ alg: jwk.crv === 'Ed25519' ? 'EdDSA' : 'ES256' })
    .setIssuer(id)
    .setSubject(id)
    .setAudience(o.gateway)
    .setIssuedAt(now)
    .setExpirationTime(now + 120)
    .setJti(randomUUID())
    .sign(key);
}
