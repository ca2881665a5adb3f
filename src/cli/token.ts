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
  const jwk = JSON.parse(readFileSync(flags['key'], 'utf8')) as JsonWebKey & { kid?: string };
  const id = flags['id'] ?? jwk.kid;
  if (id === undefined) throw new FirewallError('USAGE', 'the key file has no kid: pass --id', { status: 400 });
  const key = createPrivateKey({ key: jwk, format: 'jwk' });
  const aud = (flags['gateway'] ?? process.env['PUBLIC_URL'] ?? `http://127.0.0.1:${process.env['PORT'] ?? 8080}`).replace(/\/+$/, '');
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ htm: method.toUpperCase(), htu: aud + path.split('?')[0] })
    .setProtectedHeader({ alg: jwk.crv === 'Ed25519' ? 'EdDSA' : 'ES256' })
    .setIssuer(id)
    .setSubject(id)
    .setAudience(aud)
    .setIssuedAt(now)
    .setExpirationTime(now + 120)
    .setJti(randomUUID())
    .sign(key);
  process.stdout.write(token + '\n');
  return 0;
}
