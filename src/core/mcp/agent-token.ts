/**
 * Agent access tokens for the MCP entrance (docs/mcp.md "Authorization"): OAuth 2.1 bearer tokens
 * in the JWT profile of RFC 9068, issued by the gateway's token endpoint to a registered agent for
 * the client-credentials grant with private_key_jwt (RFC 7523), signed in the HSM with the
 * gateway's token key, audience-restricted to the gateway's /mcp resource.
 */

/** JOSE `typ` (RFC 9068 §2.1): no receipt, regulator token or client assertion passes as one. */
export const AGENT_TOKEN_TYP = 'at+jwt';

/** The only scope: calling tools through /mcp. */
export const MCP_SCOPE = 'mcp';

export const DEFAULT_AGENT_TOKEN_TTL_SEC = 300;
export const MAX_AGENT_TOKEN_TTL_SEC = 900;

export interface AgentTokenClaims {
  /** The gateway's public origin (the authorization server's issuer). */
  iss: string;
  /** The agent's principal id. */
  sub: string;
  /** The protected resource: `<origin>/mcp`. */
  aud: string;
  /** RFC 9068 §2.2: the client the token was issued to; the agent itself. */
  client_id: string;
  iat: number;
  exp: number;
  jti: string;
  scope: typeof MCP_SCOPE;
  /** RFC 9449 §6: the token is bound to the client's DPoP key (RFC 7638 thumbprint). */
  cnf?: { jkt: string };
}

/** The protected resource an agent token is good for (RFC 8707 resource indicator). */
export function mcpResource(origin: string): string {
  return `${origin}/mcp`;
}
