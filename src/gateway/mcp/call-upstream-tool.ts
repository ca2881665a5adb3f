import { FirewallError } from '../../core/errors.ts';
import type { ActionRecord, UpstreamResult } from '../action-record.ts';
import type { McpServerRef, McpUpstream } from './upstream-port.ts';

/** `_meta` keys the gateway sets on a forwarded tools/call (docs/mcp.md). */
export const RECEIPT_META_KEY = 'io.analog-firewall/receipt';
export const ACTION_META_KEY = 'io.analog-firewall/action';

/**
 * Sends an authorised tools/call upstream with its receipt. The arguments are the stored canonical
 * bytes, parsed back: exactly what was classified and what the receipt's body hash covers. The
 * answer is kept as the action's result: a CallToolResult as status 200, a JSON-RPC error as 400.
 */
export async function callUpstreamTool(
  mcp: McpUpstream | undefined,
  server: McpServerRef,
  record: ActionRecord,
  body: Buffer,
  receipt: string,
  timeoutMs: number,
): Promise<UpstreamResult> {
  if (mcp === undefined) throw new FirewallError('MCP_UNAVAILABLE', 'this gateway has no MCP client', { status: 502 });
  const tool = record.forward.path.startsWith('/tools/') ? record.forward.path.slice('/tools/'.length) : undefined;
  if (tool === undefined || record.forward.method !== 'MCP') {
    throw new FirewallError('MCP_FORWARD_INVALID', `action ${record.id} is not a tools/call`, { status: 500 });
  }
  const args = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  const answer = await mcp.callTool(server, tool, args, { [RECEIPT_META_KEY]: receipt, [ACTION_META_KEY]: record.id }, timeoutMs);
  const status = 'result' in answer ? 200 : 400;
  return { status, headers: { 'content-type': 'application/json' }, bodyB64: Buffer.from(JSON.stringify(answer)).toString('base64') };
}
