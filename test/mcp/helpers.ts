import type { KeyObject } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { PrivateKeyJwtProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SignJWT } from 'jose';
import type { Harness } from '../helpers/harness.ts';

/** An agent's MCP client as an agent developer sets it up: the SDK's own private_key_jwt provider, discovery from the 401. */
export async function mcpClient(h: Harness, agent?: { id: string; key: KeyObject }, options?: ConstructorParameters<typeof Client>[1]): Promise<Client> {
  const id = agent?.id ?? 'agent-1';
  const key = agent?.key ?? h.agentKey;
  const provider = new PrivateKeyJwtProvider({ clientId: id, privateKey: key.export({ format: 'jwk' }) as Record<string, unknown>, algorithm: 'EdDSA', expectedIssuer: h.url });
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', h.url), { authProvider: provider });
  const client = new Client({ name: 'test-agent', version: '1.0.0' }, options);
  await client.connect(transport);
  return client;
}

/** A private_key_jwt client assertion (RFC 7523) for the token endpoint, by hand. */
export async function clientAssertion(h: Harness, o: { id?: string; key?: KeyObject; aud?: string; jti?: string; expSec?: number } = {}): Promise<string> {
  const id = o.id ?? 'agent-1';
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuer(id)
    .setSubject(id)
    .setAudience(o.aud ?? `${h.url}/oauth/token`)
    .setIssuedAt(now)
    .setExpirationTime(now + (o.expSec ?? 60))
    .setJti(o.jti ?? crypto.randomUUID())
    .sign(o.key ?? h.agentKey);
}

export async function tokenRequest(h: Harness, form: Record<string, string>): Promise<Response> {
  return fetch(`${h.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
}

export async function accessToken(h: Harness, o: { id?: string; key?: KeyObject } = {}): Promise<string> {
  const res = await tokenRequest(h, {
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await clientAssertion(h, o),
  });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** One raw JSON-RPC POST to /mcp; the answer parsed from JSON or from the SSE stream's last message. */
export async function rawMcp(h: Harness, token: string | undefined, body: string): Promise<{ status: number; headers: Headers; message: Record<string, unknown> | undefined; text: string }> {
  const res = await fetch(`${h.url}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body,
  });
  const text = await res.text();
  let message: Record<string, unknown> | undefined;
  const data = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
  try {
    message = JSON.parse(data.length > 0 ? data[data.length - 1]! : text) as Record<string, unknown>;
  } catch {
    message = undefined;
  }
  return { status: res.status, headers: res.headers, message, text };
}

type Answer = { structuredContent?: Record<string, unknown>; isError?: boolean; _meta?: Record<string, unknown> };

/**
 * The call's outcome: a call still cooling or executing when MCP_HOLD_SEC ran out (a loaded machine
 * can stretch a 1 s cooling period past it) is asked after with analog_firewall_status until it has ended.
 */
export async function outcome<T extends Answer>(client: Client, r: T): Promise<T> {
  let out = r;
  for (let i = 0; i < 10; i++) {
    const held = out.structuredContent?.['actionId'];
    const status = out.structuredContent?.['status'];
    // Only what ends on its own: a call waiting for people is the caller's to answer.
    if (typeof held !== 'string' || !(status === 'cooling' || status === 'authorised' || status === 'executing')) return out;
    out = (await client.callTool({ name: 'analog_firewall_status', arguments: { actionId: held, waitSeconds: 30 } })) as unknown as T;
  }
  return out;
}
