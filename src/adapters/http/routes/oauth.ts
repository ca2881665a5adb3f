import { clientAddress } from '../client-address.ts';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { isFirewallError } from '../../../core/errors.ts';
import { MCP_SCOPE } from '../../../core/mcp/agent-token.ts';
import type { GatewayContext } from '../../../gateway/context.ts';
import { oauthError, type AgentTokens, type OAuthErrorCode } from '../../../gateway/mcp/agent-tokens.ts';
import type { DpopVerifier } from '../../../gateway/mcp/dpop.ts';

const OAUTH_CODES = new Set<string>(['invalid_dpop_proof', 'invalid_request', 'invalid_client', 'unsupported_grant_type', 'invalid_scope', 'invalid_target', 'invalid_token', 'unsupported_response_type']);

/** OAuth endpoints answer in OAuth's error format (RFC 6749 §5.2), which OAuth client libraries parse; never problem+json. */
function oauthErrors(ctx: GatewayContext) {
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(err);
    if (isFirewallError(err) && OAUTH_CODES.has(err.code)) {
      if (err.code === 'invalid_client') ctx.metrics.refusals.inc({ code: 'AUTH_INVALID' });
      res.status(err.status).set('cache-control', 'no-store').json({ error: err.code as OAuthErrorCode, error_description: err.message });
      return;
    }
    // The gateway cannot decide now (the shared replay cache or the log out of reach): 503, retry.
    if (isFirewallError(err) && err.status === 503) {
      res.status(503).set({ 'cache-control': 'no-store', 'retry-after': '1' }).json({ error: 'temporarily_unavailable', error_description: err.message, code: err.code });
      return;
    }
    // A malformed form body and everything else not OAuth's: still an OAuth error, never a stack.
    const status = isFirewallError(err) ? err.status : (err as { status?: number }).status ?? 500;
    if (status >= 500) ctx.log.error({ err: (err as Error).message, path: req.path }, 'oauth endpoint failed');
    res.status(status >= 500 ? 500 : 400).set('cache-control', 'no-store').json({ error: status >= 500 ? 'server_error' : 'invalid_request', error_description: isFirewallError(err) ? err.message : 'the request could not be read' });
  };
}

/**
 * The gateway as OAuth 2.1 authorization server for its agents (docs/mcp.md "Authorization"):
 * RFC 8414 and RFC 9728 metadata, the client-credentials token endpoint, RFC 7009 revocation.
 */
export function oauthRouter(ctx: GatewayContext, tokens: AgentTokens, dpop: DpopVerifier): Router {
  const r = express.Router();
  const origin = ctx.publicUrl;
  const form = express.urlencoded({ extended: false, limit: 16 * 1024, parameterLimit: 20 });

  r.get('/.well-known/oauth-authorization-server', (_req, res) => {
    res.set('cache-control', 'public, max-age=300').json({
      issuer: origin,
      // Required by RFC 8414 and by MCP clients' metadata parsers; it refuses every request, since the only grant is client_credentials.
      authorization_endpoint: `${origin}/oauth/authorize`,
      token_endpoint: tokens.tokenEndpoint,
      revocation_endpoint: `${origin}/oauth/revoke`,
      jwks_uri: `${origin}/.well-known/jwks.json`,
      response_types_supported: [],
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['EdDSA', 'ES256'],
      dpop_signing_alg_values_supported: ['EdDSA', 'ES256'],
      revocation_endpoint_auth_methods_supported: ['private_key_jwt'],
      revocation_endpoint_auth_signing_alg_values_supported: ['EdDSA', 'ES256'],
      scopes_supported: [MCP_SCOPE],
      service_documentation: `${origin}/openapi.json`,
    });
  });
  const resourceMetadata = (_req: Request, res: Response): void => {
    res.set('cache-control', 'public, max-age=300').json({
      resource: tokens.resource,
      authorization_servers: [origin],
      scopes_supported: [MCP_SCOPE],
      bearer_methods_supported: ['header'],
      dpop_signing_alg_values_supported: ['EdDSA', 'ES256'],
      resource_name: 'Analog Firewall MCP gateway',
    });
  };
  r.get('/.well-known/oauth-protected-resource/mcp', resourceMetadata);
  r.get('/.well-known/oauth-protected-resource', resourceMetadata);

  r.get('/oauth/authorize', (_req, res) => {
    res.status(400).set('cache-control', 'no-store').json({ error: 'unsupported_response_type', error_description: 'agents use the client_credentials grant at the token endpoint' });
  });
  r.post('/oauth/token', form, async (req: Request, res: Response) => {
    const address = clientAddress(ctx, req);
    await ctx.limits.checkAuthLock(address);
    try {
      // RFC 9449 §5: a DPoP proof with the token request binds the token to the proof's key.
      const proof = req.headers['dpop'];
      if (Array.isArray(proof)) throw oauthError('invalid_dpop_proof', 'one DPoP header at most');
      const dpopJkt = proof === undefined ? undefined : await dpop.verify(proof, { method: 'POST', url: tokens.tokenEndpoint, error: 'invalid_dpop_proof' });
      const out = await tokens.issue((req.body ?? {}) as Record<string, unknown>, dpopJkt === undefined ? {} : { dpopJkt });
      await ctx.limits.agent(out.principal.id);
      res.set('cache-control', 'no-store').set('pragma', 'no-cache').json(out.token);
    } catch (e) {
      if (isFirewallError(e, 'invalid_client')) await ctx.limits.authFailed(address);
      throw e;
    }
  });
  r.post('/oauth/revoke', form, async (req: Request, res: Response) => {
    const address = clientAddress(ctx, req);
    await ctx.limits.checkAuthLock(address);
    try {
      await tokens.revoke((req.body ?? {}) as Record<string, unknown>);
    } catch (e) {
      if (isFirewallError(e, 'invalid_client')) await ctx.limits.authFailed(address);
      throw e;
    }
    res.status(200).set('cache-control', 'no-store').end();
  });
  r.use(['/oauth', '/.well-known/oauth-authorization-server'], oauthErrors(ctx));
  return r;
}
