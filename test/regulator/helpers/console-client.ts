import { createCredential, getAssertion, type StoredCredential } from '../../../clients/device/authenticator/software-authenticator.ts';
import type { Harness } from '../../helpers/harness.ts';

/**
 * The regulator console's API as a browser uses it, over real HTTP: the app's origin on every
 * state change, the console cookie kept between requests, passkeys from the software authenticator
 * (clients/device/authenticator), which writes real WebAuthn responses for that origin.
 */
export class ConsoleClient {
  readonly origin: string;
  cookie = '';

  constructor(h: Harness) {
    this.origin = `http://localhost:${new URL(h.url).port}`;
  }

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(`${this.origin}/app/api/regulator${path}`, {
      method,
      headers: { accept: 'application/json', ...(method === 'GET' ? {} : { origin: this.origin }), ...(this.cookie ? { cookie: this.cookie } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const set = res.headers.get('set-cookie');
    if (set !== null) this.cookie = /Max-Age=0|Expires=Thu, 01 Jan 1970/.test(set) ? '' : set.split(';')[0]!;
    return res;
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.call(method, path, body);
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** Enrols a passkey from an invitation URL; returns the authenticator's credential. */
  async enrol(url: string, person: string): Promise<StoredCredential> {
    const token = new URL(url).hash.slice(1);
    const o = await this.json<{ ceremonyId: string; options: { challenge: string; rp: { id: string } } }>('POST', '/enrol/options', { token });
    const { credential, stored } = createCredential({ rpId: o.options.rp.id, origin: this.origin, challenge: o.options.challenge, person });
    await this.json('POST', '/enrol', { token, ceremonyId: o.ceremonyId, credential });
    return stored;
  }

  /** Signs in with the passkey; the session cookie is kept. */
  async signIn(stored: StoredCredential, request: { scopes?: string[]; ttlSeconds?: number } = {}): Promise<Response> {
    const o = await this.json<{ ceremonyId: string; options: { challenge: string } }>('POST', '/session/options', {});
    return this.call('POST', '/session', { ceremonyId: o.ceremonyId, credential: getAssertion(stored, { challenge: o.options.challenge, origin: this.origin }), ...request });
  }
}
