import { canonicalJson } from '../canonical.ts';
import { FirewallError } from '../errors.ts';

/**
 * The request a receipt binds for an MCP tools/call (docs/mcp.md "Receipts"): the receipt's
 * `req` is `{ m: "MCP", p: "/tools/<tool>", b: sha256(RFC 8785 form of the arguments) }`, with
 * the upstream's own tool name. The upstream parses the arguments from JSON-RPC and recomputes
 * the same canonical bytes, so no byte-level agreement on the JSON-RPC envelope is needed.
 */
export const MCP_REQUEST_METHOD = 'MCP';

export function toolCallPath(tool: string): string {
  return `/tools/${tool}`;
}

/** The arguments' canonical bytes: what the gateway stores, classifies, hashes and sends. */
export function toolArgumentsBytes(args: unknown): Buffer {
  if (args === undefined) return Buffer.from('{}');
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    throw new FirewallError('MCP_ARGUMENTS_INVALID', 'tool arguments must be a JSON object', { status: 400 });
  }
  return Buffer.from(canonicalJson(args), 'utf8');
}
