import type { JSONWebKeySet, JWTVerifyGetKey, RemoteJWKSetOptions } from 'jose';
import { canonicalJson, sha256Hex } from '../../src/core/canonical.ts';
import { systemClock, type Clock } from '../../src/core/clock.ts';
import { FirewallError } from '../../src/core/errors.ts';
import { MCP_REQUEST_METHOD, toolCallPath } from '../../src/core/mcp/tool-call-request.ts';
import type { ReceiptClaims } from '../../src/core/receipt/receipt.ts';
import { DEFAULT_CLOCK_TOLERANCE_SEC, verifyReceiptClaims } from '../../src/core/receipt/verify-receipt-claims.ts';
import { claimReceiptOnce, MemoryReplayCache, type ReplayCache } from './replay-cache.ts';
import { receiptKeySet, verifyReceipt } from './verify-receipt.ts';

/** `_meta` key of a tools/call that carries the gateway's receipt (docs/mcp.md "Receipts"). */
export const MCP_RECEIPT_META_KEY = 'io.analog-firewall/receipt';

export interface McpReceiptGuardOptions {
  /** The gateway's JWKS URL or key set. */
  jwks: URL | JSONWebKeySet;
  jwksOptions?: RemoteJWKSetOptions;
  /** The gateway id (receipt `iss`). */
  issuer: string;
  /** This server's name in the gateway's policy (`mcp_servers.<name>`, receipt `aud`). */
  audience: string;
  replayCache?: ReplayCache;
  clock?: Clock;
  clockToleranceSec?: number;
}

/**
 * For an MCP server behind the gateway: admits a tools/call only with a valid, unexpired,
 * unreplayed receipt bound to this tool and these exact arguments. `check` throws FirewallError
 * with a RECEIPT_* code (docs/receipts.md) and uses the receipt up only when every check passed.
 */
export function mcpReceiptGuard(options: McpReceiptGuardOptions): { check(tool: string, args: unknown, meta: unknown): Promise<ReceiptClaims> } {
  if (!options.issuer || !options.audience) throw new FirewallError('ACTUATOR_MISCONFIGURED', 'mcpReceiptGuard() needs an issuer and an audience (this server\'s name)', { status: 500 });
  const keys: JWTVerifyGetKey = receiptKeySet(options.jwks, options.jwksOptions);
  const clock = options.clock ?? systemClock;
  const replayCache = options.replayCache ?? new MemoryReplayCache({ clock });
  const tol = options.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC;
  return {
    async check(tool, args, meta) {
      const jws = meta !== null && typeof meta === 'object' ? (meta as Record<string, unknown>)[MCP_RECEIPT_META_KEY] : undefined;
      if (typeof jws !== 'string') throw new FirewallError('RECEIPT_MISSING', `the call carries no receipt in _meta['${MCP_RECEIPT_META_KEY}']`, { status: 401 });
      const { claims } = await verifyReceipt(jws.trim(), { keys, issuer: options.issuer, audience: options.audience, clockToleranceSec: tol, now: clock.now() });
      let bodySha256: string;
      try {
        bodySha256 = sha256Hex(canonicalJson(args ?? {}));
      } catch (cause) {
        throw new FirewallError('RECEIPT_BODY_MISMATCH', 'the arguments have no canonical form', { status: 403, cause });
      }
      verifyReceiptClaims(claims, { method: MCP_REQUEST_METHOD, path: toolCallPath(tool), bodySha256 }, clock.now(), {
        issuer: options.issuer,
        audience: options.audience,
        clockToleranceSec: tol,
      });
      await claimReceiptOnce(replayCache, claims, tol);
      return claims;
    },
  };
}
