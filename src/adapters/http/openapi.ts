/**
 * OpenAPI 3.1 description of the HTTP API. test/http/openapi.test.ts walks the express routers and
 * fails when a route is missing here or a documented path has no route.
 */
import { SIGNATURE_PATHS } from './openapi-signatures.ts';
import { GOVERNANCE_PATHS } from './openapi-governance.ts';
import { APP_PATHS } from './openapi-app.ts';
import { REGULATOR_CONSOLE_PATHS } from './openapi-regulator-console.ts';
import { MCP_PATHS } from './openapi-mcp.ts';

const problem = { $ref: '#/components/responses/Problem' };
const errors = { '400': problem, '401': problem, '403': problem, '404': problem, '413': problem, '422': problem, '429': problem, '503': problem };
const problemWith = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
/** The codes of bodies, paths and queries two parsers could read differently (docs/api.md §Input with one reading). */
const JSON_CODES = 'BODY_MALFORMED, JSON_DUPLICATE_KEY, JSON_BOM, JSON_UTF8_INVALID, JSON_SURROGATE_UNPAIRED, JSON_NUMBER_AMBIGUOUS, CONTENT_TYPE_DUPLICATE';
const TARGET_CODES =
  'PATH_ENCODED_SEPARATOR, PATH_DOT_SEGMENT, PATH_DOUBLE_ENCODED, PATH_CONTROL_CHARACTER, PATH_EMPTY_SEGMENT, PATH_MATRIX_PARAMETER, PATH_ESCAPE_INVALID, PATH_ESCAPE_NON_CANONICAL, PATH_CHARACTER_INVALID, QUERY_SEPARATOR_AMBIGUOUS, QUERY_PARAMETER_DUPLICATE, QUERY_PARAMETER_NAME_AMBIGUOUS, QUERY_ESCAPE_INVALID, QUERY_CHARACTER_INVALID, BODY_NOT_ALLOWED';
/** Agent endpoints also take a session signature (docs/api.md §Sessions). */
const auth = [{ clientAssertion: [] }, { sessionSignature: [] }];
/** Read-only regulator endpoints: a client assertion, or a regulator access token with the scope. */
const readerAuth = (scope: string) => [{ clientAssertion: [] }, { regulatorToken: [scope] }];
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const idempotency = { name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', minLength: 1, maxLength: 200 } };
const actionOk = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Action' } } } });

const proxyOp = (method: string) => ({
  summary: `${method} through the reverse proxy: mapped by the policy to an action, forwarded when authorised`,
  security: auth,
  parameters: [
    { name: 'actuator', in: 'path', required: true, schema: { type: 'string' } },
    { name: 'path', in: 'path', required: true, schema: { type: 'string' }, description: 'the rest of the upstream path' },
    idempotency,
  ],
  responses: {
    '2XX': { description: 'LOW: the upstream answer, as is; otherwise 202 with the Action' },
    '502': problem,
    ...errors,
    '400': problemWith(`bad input; among the codes: ${JSON_CODES}, ${TARGET_CODES}, PROXY_FIELD_MISSING, PROXY_FIELD_INVALID`),
    '415': problemWith('CONTENT_TYPE_MISSING, CONTENT_TYPE_CHARSET_UNSUPPORTED, CONTENT_TYPE_MISMATCH'),
  },
});

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Analog Firewall gateway',
    version: '1.0.0',
    description: 'Classifies AI agent actions by consequentiality tier and keeps consequential ones at human tempo.',
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  components: {
    securitySchemes: {
      appSession: {
        type: 'apiKey',
        in: 'cookie',
        name: '__Host-af_session',
        description: 'The approver app session (af_session on http://localhost): HttpOnly, SameSite=Strict, bound to one person and origin; state-changing requests must carry the app Origin. See docs/approver-app.md.',
      },
      regulatorSession: {
        type: 'apiKey',
        in: 'cookie',
        name: '__Host-af_regulator',
        description: 'The regulator console session (af_regulator on http://localhost): a regulator access token in an HttpOnly, SameSite=Strict cookie, bound to the origin it was opened on; scopes and expiry as the token. See docs/regulator.md §7.',
      },
      mcpBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from POST /oauth/token (docs/mcp.md)' },
      clientAssertion: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'A JWT signed by the principal key (EdDSA or ES256): iss=sub=principal id, aud=gateway origin, iat, exp (<=300 s), jti (single use), htm, htu. See docs/api.md.',
      },
      sessionSignature: {
        type: 'apiKey',
        in: 'header',
        name: 'Signature',
        description:
          'RFC 9421 HMAC-SHA256 signature with a session key from POST /v1/sessions, with Signature-Input covering exactly "@method" "@target-uri" "content-digest" "idempotency-key" (created, keyid, nonce; alg hmac-sha256) and an RFC 9530 Content-Digest. See docs/api.md §Sessions.',
      },
      regulatorToken: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'Regulator access token from POST /v1/regulator/tokens: compact JWS (typ af-access+jwt, ES256) signed in the HSM with the token key of /.well-known/jwks.json; scopes log:read, log:export; lifetime <= 1 h. See docs/regulator.md.',
      },
    },
    responses: {
      Problem: { description: 'RFC 9457 problem details', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
    },
    schemas: {
      Problem: {
        type: 'object',
        required: ['type', 'title', 'status', 'code'],
        properties: { type: { type: 'string', format: 'uri' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, code: { type: 'string' }, instance: { type: 'string' } },
      },
      Submission: {
        type: 'object',
        additionalProperties: false,
        required: ['actuator', 'operation', 'target', 'reversibility'],
        properties: {
          actuator: { type: 'string' },
          operation: { type: 'string' },
          target: { type: 'string' },
          parameters: { type: 'object' },
          amount: { type: 'number', minimum: 0 },
          currency: { type: 'string', pattern: '^[A-Z]{3}$' },
          reversibility: { enum: ['fully_reversible', 'partially_reversible', 'irreversible'] },
          branchCard: { type: 'object', description: 'AI Branch Card (seed Appendix B); see docs/policy.md' },
        },
      },
      Action: {
        type: 'object',
        required: ['id', 'status', 'tier', 'decision', 'digest', 'links'],
        properties: {
          id: { type: 'string' },
          status: {
            enum: ['received', 'blocked', 'cooling', 'awaiting_signature', 'awaiting_quorum', 'authorised', 'executing', 'outcome_unknown', 'executed', 'failed', 'vetoed', 'expired'],
            description: '`failed`: certainly not executed. `outcome_unknown`: it may have executed; resent under the same Idempotency-Key while `resendAt` is set, then left for an admin to reconcile (docs/api.md §Outcomes)',
          },
          tier: { enum: ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] },
          decision: { enum: ['ALLOW', 'BLOCK'] },
          digest: { type: 'string', description: 'SHA-256 (hex) of the RFC 8785 canonical descriptor' },
          descriptor: { type: 'object' },
          rule: { type: 'string' },
          reasons: { type: 'array', items: { type: 'string' } },
          policyHash: { type: 'string' },
          notBefore: { type: 'string', format: 'date-time' },
          expiresAt: { type: 'string', format: 'date-time' },
          approvals: { type: 'array', items: { type: 'object' } },
          result: { type: 'object', properties: { status: { type: 'integer' }, headers: { type: 'object' }, body: { type: 'string', contentEncoding: 'base64' }, bodyText: { type: 'string' } } },
          error: { type: 'string', description: 'why the action failed, or why its outcome is unknown (e.g. UPSTREAM_TIMEOUT, UPSTREAM_REFUSED)' },
          resendAt: { type: 'string', format: 'date-time', description: 'outcome_unknown: when the next resend is due; absent once the resends ran out' },
          attempts: { type: 'integer', minimum: 0, description: 'outcome_unknown: delivery attempts so far' },
          reconciliation: {
            type: 'object',
            required: ['outcome', 'by', 'reason', 'at', 'logIndex'],
            properties: { outcome: { enum: ['executed', 'failed'] }, by: { type: 'string' }, reason: { type: 'string' }, at: { type: 'string', format: 'date-time' }, logIndex: { type: 'integer' } },
          },
          links: { type: 'object' },
        },
      },
    },
  },
  paths: {
    '/healthz': { get: { summary: 'Liveness', responses: { '200': { description: 'the process is up' } } } },
    '/readyz': { get: { summary: 'Readiness: store, signer, policy, and Redis when REDIS_URL is set', responses: { '200': { description: 'ready' }, '503': { description: 'not ready: without the store, signer or policy nothing executes; without Redis authentication is refused' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } } },
    '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } } },
    '/.well-known/jwks.json': {
      get: { summary: 'Public keys (receipts, checkpoints, tokens, webhooks) with HSM attestation chains (x5c)', responses: { '200': { description: 'JWK Set' } } },
    },
    '/v1/sessions': {
      post: {
        summary: "Open a session: a short-lived HMAC key for RFC 9421 request signatures. Needs the agent's client assertion",
        security: [{ clientAssertion: [] }],
        responses: {
          '201': {
            description: 'the session; its key is in this answer only',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    sessionId: { type: 'string' },
                    key: { type: 'string', contentEncoding: 'base64url' },
                    algorithm: { const: 'hmac-sha256' },
                    components: { type: 'array', items: { type: 'string' } },
                    createdAt: { type: 'integer' },
                    expiresAt: { type: 'integer' },
                    expiresIn: { type: 'integer' },
                  },
                },
              },
            },
          },
          ...errors,
        },
      },
    },
    '/v1/sessions/{id}': {
      delete: { summary: "Revoke one of this agent's sessions", security: auth, parameters: [idParam], responses: { '200': { description: 'revoked' }, ...errors } },
    },
    '/v1/actions': {
      post: {
        summary: 'Submit an action',
        security: auth,
        parameters: [idempotency],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Submission' } } } },
        responses: {
          '200': actionOk('an earlier request with this idempotency key created this action'),
          '201': actionOk('LOW: executed at once'),
          '202': actionOk('accepted and held: cooling, awaiting signature or quorum'),
          ...errors,
          '400': problemWith(`bad input; among the codes: BODY_INVALID, CANONICAL_JSON_INVALID, ${JSON_CODES}`),
          '415': problemWith('CONTENT_TYPE_UNSUPPORTED, CONTENT_TYPE_MISSING, CONTENT_TYPE_CHARSET_UNSUPPORTED, CONTENT_TYPE_MISMATCH'),
        },
      },
    },
    '/v1/actions/{id}': {
      get: {
        summary: 'Action status; ?wait=N long-polls up to N (<= 60) seconds for a change',
        security: auth,
        parameters: [idParam, { name: 'wait', in: 'query', required: false, schema: { type: 'number', minimum: 0, maximum: 60 } }],
        responses: { '200': actionOk('the action'), ...errors },
      },
    },
    '/v1/actions/{id}/events': {
      get: { summary: 'Server-sent events: one `status` event per change, ends at a terminal status', security: auth, parameters: [idParam], responses: { '200': { description: 'text/event-stream' }, ...errors } },
    },
    '/v1/actions/{id}/reconcile': {
      post: {
        summary: 'Admin: settle an action whose outcome stayed unknown (no resend scheduled) as executed or failed, with a reason; logged as action.executed or action.failed with event reconcile',
        security: auth,
        parameters: [idParam],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: { type: 'object', required: ['outcome', 'reason'], properties: { outcome: { enum: ['executed', 'failed'] }, reason: { type: 'string', minLength: 1, maxLength: 500 } } },
            },
          },
        },
        responses: { '200': actionOk('reconciled'), '409': problem, ...errors },
      },
    },
    '/v1/actions/{id}/veto': {
      post: {
        summary: "Veto an action during cooling or while it awaits signatures: the policy's notify.vetoers (role authorizer); a CRITICAL action awaiting its quorum also by any member of its all_of groups (role authorizer) or comparator groups (role comparator). Terminal; logged as action.vetoed with by and as",
        security: auth,
        parameters: [idParam],
        requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { reason: { type: 'string' } } } } } },
        responses: { '200': actionOk('vetoed'), '409': problem, ...errors },
      },
    },
    '/v1/events': {
      get: { summary: 'Server-sent events of every action change (human roles only)', security: auth, responses: { '200': { description: 'text/event-stream' }, ...errors } },
    },
    '/log/checkpoint': {
      get: { summary: 'Latest signed checkpoint (C2SP tlog-checkpoint as a C2SP signed note); public', responses: { '200': { description: 'text/plain' }, '404': problem } },
    },
    '/log/v1/verifier-key': {
      get: { summary: 'The checkpoint verifier key (C2SP signed-note vkey) with its HSM attestation chain; public', responses: { '200': { description: 'application/json' } } },
    },
    '/log/tile/{path}': {
      get: {
        summary:
          'C2SP tlog-tiles within the latest checkpoint: hash tiles tile/<L>/<N>[.p/<W>] are public (full tiles immutable, partial 60 s); entry bundles tile/entries/<N>[.p/<W>] need a regulator or human role',
        // {} first: no credential for hash tiles.
        security: [{}, ...readerAuth('log:read')],
        parameters: [{ name: 'path', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'application/octet-stream' }, ...errors },
      },
    },
    '/log/v1/entries': {
      get: {
        summary:
          'Entries matching every filter given: actionId, type, person (approvals[].who, who, by), rule (rule, matchedRules[]), agent, tier, decision, time range (since/until, ms), after index; regulator and human roles',
        security: readerAuth('log:read'),
        parameters: ['actionId', 'type', 'person', 'rule', 'agent', 'tier', 'decision', 'since', 'until', 'after', 'limit'].map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
        responses: { '200': { description: 'entries with their indexes' }, ...errors },
      },
    },
    '/log/v1/entries/{index}': {
      get: { summary: 'One entry by index', security: readerAuth('log:read'), parameters: [{ name: 'index', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } }], responses: { '200': { description: 'the entry' }, ...errors } },
    },
    '/log/v1/proofs/inclusion': {
      get: {
        summary: 'RFC 9162 inclusion proof of entry `index` in the tree of `size` (default: latest checkpoint)',
        security: readerAuth('log:read'),
        parameters: [{ name: 'index', in: 'query', required: true, schema: { type: 'integer' } }, { name: 'size', in: 'query', required: false, schema: { type: 'integer' } }],
        responses: { '200': { description: 'proof' }, ...errors },
      },
    },
    '/log/v1/proofs/consistency': {
      get: {
        summary: 'RFC 9162 consistency proof between tree sizes `from` and `to` (default: latest checkpoint)',
        security: readerAuth('log:read'),
        parameters: [{ name: 'from', in: 'query', required: true, schema: { type: 'integer' } }, { name: 'to', in: 'query', required: false, schema: { type: 'integer' } }],
        responses: { '200': { description: 'proof' }, ...errors },
      },
    },
    '/v1/regulator/tokens': {
      post: {
        summary: 'Issue a read-only regulator access token (principals with role regulator; client assertion only). Recorded as regulator.token_issued',
        security: auth,
        requestBody: {
          required: false,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  scopes: { type: 'array', minItems: 1, items: { enum: ['log:read', 'log:export'] }, default: ['log:read'] },
                  ttlSeconds: { type: 'integer', minimum: 60, maximum: 3600, default: 900 },
                },
              },
            },
          },
        },
        responses: {
          '201': {
            description: 'the token (never logged; the log records its jti, scopes and exp)',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['access_token', 'token_type', 'expires_in', 'scope', 'jti', 'exp'],
                  properties: {
                    access_token: { type: 'string' },
                    token_type: { const: 'Bearer' },
                    expires_in: { type: 'integer' },
                    scope: { type: 'string' },
                    jti: { type: 'string' },
                    exp: { type: 'integer', description: 'NumericDate (seconds)' },
                    logIndex: { type: 'integer', description: 'index of the regulator.token_issued entry' },
                  },
                },
              },
            },
          },
          ...errors,
        },
      },
    },
    '/v1/regulator/export': {
      get: {
        summary:
          'Export bundle of an index range [fromIndex, toIndex) or a time range [since, until) (ms): entries, checkpoints, proofs, verifier key with x5c, JWKS, policy versions, context with inclusion proofs. Recorded as regulator.export',
        security: readerAuth('log:export'),
        parameters: ['fromIndex', 'toIndex', 'since', 'until'].map((name) => ({ name, in: 'query', required: false, schema: { type: 'integer', minimum: 0 } })),
        responses: { '200': { description: 'analog-firewall.dev/log-export/v1 bundle (docs/transparency-log.md)' }, ...errors },
      },
    },
    // Biological signatures: people, devices, challenges, the session WebSocket (openapi-signatures.ts).
    ...SIGNATURE_PATHS,
    // The approver app: pages, its session-cookie API, invitations (openapi-app.ts).
    ...APP_PATHS,
    // The regulator console: pages, its session-cookie API, invitations (openapi-regulator-console.ts).
    ...REGULATOR_CONSOLE_PATHS,
    // Policy governance: proposals, versions, the active policy (openapi-governance.ts).
    ...GOVERNANCE_PATHS,
    // The MCP entrance and its OAuth endpoints (openapi-mcp.ts).
    ...MCP_PATHS,
    '/proxy/{actuator}/{path}': {
      get: proxyOp('GET'),
      post: proxyOp('POST'),
      put: proxyOp('PUT'),
      patch: proxyOp('PATCH'),
      delete: proxyOp('DELETE'),
    },
  } as Record<string, Record<string, unknown>>,
};
