import { LRUCache } from 'lru-cache';

/** Where a stateless client (MCP 2026-07-28, SEP-2575) states its capabilities on each request. */
export const CLIENT_CAPABILITIES_META_KEY = 'io.modelcontextprotocol/clientCapabilities';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** URL-mode elicitation (MCP 2025-11-25): `capabilities.elicitation.url` present. Form mode alone does not count. */
export function declaresUrlElicitation(capabilities: unknown): boolean {
  return isObj(capabilities) && isObj(capabilities['elicitation']) && isObj(capabilities['elicitation']['url']);
}

/**
 * What each MCP client said it can do. The entrance is stateless, so the capabilities of the
 * `initialize` a client sent are kept here per access token (until the token expires) for its later
 * calls; a client that states them on the request itself (`_meta`) is believed for that request.
 * Kept in this process only: a call that reaches another replica than its `initialize` did loses
 * nothing but the elicitation (the held call still reports progress and its status tool works).
 */
export class McpClientCapabilities {
  readonly #byToken = new LRUCache<string, Obj>({ max: 10_000, ttlAutopurge: false });

  /** From an `initialize` request's params, for the token that sent it, until `expSec` (epoch seconds). */
  remember(tokenId: string, params: unknown, expSec: number, nowMs: number): void {
    const caps = isObj(params) ? params['capabilities'] : undefined;
    const ttl = expSec * 1000 - nowMs;
    if (!isObj(caps) || ttl <= 0) return;
    this.#byToken.set(tokenId, caps, { ttl });
  }

  /** Whether this request may be answered with a URL-mode elicitation. */
  urlElicitation(tokenId: string, requestMeta: unknown): boolean {
    const stated = isObj(requestMeta) ? requestMeta[CLIENT_CAPABILITIES_META_KEY] : undefined;
    if (stated !== undefined) return declaresUrlElicitation(stated);
    return declaresUrlElicitation(this.#byToken.get(tokenId));
  }
}
