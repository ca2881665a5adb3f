import { FirewallError } from '../errors.ts';

/** MCP tool names (spec 2025-11-25, "Tool names"): 1-128 of A-Z a-z 0-9 _ - . */
export const MCP_TOOL_PATTERN = '^[A-Za-z0-9_.-]{1,128}$';
const TOOL_NAME = new RegExp(MCP_TOOL_PATTERN);

/**
 * Agents see every upstream tool as `<server>__<tool>`: two servers may both have a `transfer`.
 * `__` and not `.` or `/` because some model providers accept only [A-Za-z0-9_-] in tool names.
 */
export const TOOL_NAMESPACE_SEPARATOR = '__';

export function isMcpToolName(name: string): boolean {
  return TOOL_NAME.test(name);
}

export function namespacedToolName(server: string, tool: string): string {
  return `${server}${TOOL_NAMESPACE_SEPARATOR}${tool}`;
}

/** Splits `<server>__<tool>`; server ids never contain `__` (the policy loader refuses them). */
export function splitToolName(name: string): { server: string; tool: string } {
  const i = name.indexOf(TOOL_NAMESPACE_SEPARATOR);
  if (i <= 0 || i + TOOL_NAMESPACE_SEPARATOR.length >= name.length) {
    throw new FirewallError('MCP_TOOL_UNKNOWN', `'${name.slice(0, 200)}' is not a tool of this gateway (tools are named <server>${TOOL_NAMESPACE_SEPARATOR}<tool>)`, { status: 404 });
  }
  return { server: name.slice(0, i), tool: name.slice(i + TOOL_NAMESPACE_SEPARATOR.length) };
}
