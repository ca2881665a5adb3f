/**
 * OpenAPI paths of the MCP entrance and the agents' OAuth endpoints (docs/mcp.md), spread into OPENAPI.paths.
 * The MCP messages themselves are JSON-RPC, specified by the MCP specification (2025-11-25), not here.
 */
const oauthError = {
  description: 'OAuth error (RFC 6749 §5.2)',
  content: { 'application/json': { schema: { type: 'object', required: ['error'], properties: { error: { type: 'string' }, error_description: { type: 'string' } } } } },
};
const jsonObject = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });
const form = (properties: Record<string, object>, required: string[]) => ({
  required: true,
  content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', required, properties } } },
});
const clientAuth = {
  client_assertion_type: { const: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' },
  client_assertion: { type: 'string', description: "JWT signed with the agent's registered key (RFC 7523 §2.2): iss = sub = agent id, aud = issuer or token endpoint, exp ≤ 300 s, single-use jti" },
  client_id: { type: 'string' },
};

export const MCP_PATHS = {
  '/.well-known/oauth-authorization-server': { get: { summary: 'Authorization server metadata (RFC 8414)', responses: { '200': jsonObject('metadata') } } },
  '/.well-known/oauth-protected-resource': { get: { summary: 'Protected resource metadata of /mcp (RFC 9728)', responses: { '200': jsonObject('metadata') } } },
  '/.well-known/oauth-protected-resource/mcp': { get: { summary: 'Protected resource metadata of /mcp (RFC 9728 §3.1 path form)', responses: { '200': jsonObject('metadata') } } },
  '/oauth/authorize': { get: { summary: 'Refuses every request (unsupported_response_type): agents use client_credentials', responses: { '400': oauthError } } },
  '/oauth/token': {
    post: {
      summary: 'Client-credentials grant with private_key_jwt: an MCP access token (RFC 9068 JWT, HSM-signed, aud <origin>/mcp). Recorded as agent.token_issued',
      requestBody: form({ grant_type: { const: 'client_credentials' }, scope: { const: 'mcp' }, resource: { type: 'string' }, ...clientAuth }, ['grant_type', 'client_assertion_type', 'client_assertion']),
      responses: {
        '200': { description: 'token', content: { 'application/json': { schema: { type: 'object', required: ['access_token', 'token_type', 'expires_in'], properties: { access_token: { type: 'string' }, token_type: { const: 'Bearer' }, expires_in: { type: 'integer' }, scope: { const: 'mcp' } } } } } },
        '400': oauthError,
        '401': oauthError,
        '429': oauthError,
      },
    },
  },
  '/oauth/revoke': {
    post: {
      summary: "Revoke one of the agent's own tokens (RFC 7009). Recorded as agent.token_revoked",
      requestBody: form({ token: { type: 'string' }, ...clientAuth }, ['token', 'client_assertion_type', 'client_assertion']),
      responses: { '200': { description: 'revoked, or not a token of this agent (RFC 7009 §2.2)' }, '400': oauthError, '401': oauthError },
    },
  },
  '/mcp': {
    post: {
      summary: 'MCP Streamable HTTP endpoint (stateless, one JSON-RPC message per request): tools/list, tools/call, resources/*, prompts/*',
      security: [{ mcpBearer: [] }],
      responses: {
        '200': { description: 'JSON-RPC answer (text/event-stream or application/json)' },
        '202': { description: 'notification accepted' },
        '400': { description: 'JSON-RPC parse error or batch' },
        '401': { description: 'no valid access token; WWW-Authenticate names the resource metadata' },
      },
    },
    get: { summary: 'Not served (405): no server-initiated stream in stateless mode', responses: { '405': { description: 'POST only' } } },
    delete: { summary: 'Not served (405): there is no session to end', responses: { '405': { description: 'POST only' } } },
  },
};
