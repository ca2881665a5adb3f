/**
 * OpenAPI paths of the regulator console (docs/regulator.md §7), spread into OPENAPI.paths: its
 * pages, its API under /app/api/regulator (a session cookie holding a regulator access token), and
 * the administrator's invitation API.
 */
const problem = { $ref: '#/components/responses/Problem' };
const errors = { '400': problem, '401': problem, '403': problem, '404': problem, '409': problem, '410': problem, '413': problem, '429': problem };
const session = [{ regulatorSession: [] }];
const json = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });
const body = (description: string) => ({ required: true, content: { 'application/json': { schema: { type: 'object', description } } } });
const query = (...names: string[]) => names.map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } }));
const page = (summary: string, params: object[] = []) => ({
  get: { summary: `The console's shell (HTML) for ${summary}; CSP without inline script or style, frame-ancestors 'none', SRI`, parameters: params, responses: { '200': { description: 'text/html' }, '503': problem } },
});
const logged = 'Scope log:read; recorded as regulator.read before it is answered.';

export const REGULATOR_CONSOLE_PATHS: Record<string, Record<string, unknown>> = {
  '/app/regulator': page('the overview: the latest checkpoint and its HSM attestation chain'),
  '/app/regulator/enrol': page('passkey enrolment by invitation (the token in the fragment)'),
  '/app/regulator/signin': page('passkey sign-in'),
  '/app/regulator/search': page('search'),
  '/app/regulator/actions/{id}': page("an action's trail", [{ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'action id' }]),
  '/app/regulator/charts': page('the charts'),
  '/app/regulator/export': page('export'),
  '/app/regulator/verify': page('verifying a bundle (works offline)'),
  '/app/api/regulator/config': { get: { summary: 'Scopes and session lifetimes a sign-in may ask for', responses: { '200': json('{ scopes, ttlSeconds: { min, max, default } }') } } },
  '/app/api/regulator/invitation': { post: { summary: 'What a regulator invitation is for', requestBody: body('{ token }'), responses: { '200': json('{ person, expiresAt }'), ...errors } } },
  '/app/api/regulator/enrol/options': { post: { summary: "Registration options for the invited regulator's console passkey (discoverable, user verification required)", requestBody: body('{ token }'), responses: { '200': json('{ ceremonyId, expiresAt, person, options }'), ...errors } } },
  '/app/api/regulator/enrol': { post: { summary: 'Enrol the passkey (regulator.passkey_enrolled) and consume the invitation', requestBody: body('{ token, ceremonyId, credential: RegistrationResponseJSON }'), responses: { '201': json('{ person }'), ...errors } } },
  '/app/api/regulator/session/options': { post: { summary: 'Start a console sign-in: WebAuthn request options without allowCredentials', responses: { '200': json('{ ceremonyId, expiresAt, options }'), ...errors } } },
  '/app/api/regulator/session': {
    post: { summary: 'Finish the sign-in: a regulator access token (scopes, 60-3600 s) is issued, logged (regulator.token_issued, via passkey) and set as the HttpOnly session cookie', requestBody: body('{ ceremonyId, credential, scopes?, ttlSeconds? }'), responses: { '201': json('{ person, scopes, exp, jti, logIndex }'), ...errors } },
    get: { summary: 'The session: who, which scopes, until when (401 REGULATOR_SESSION_EXPIRED once expired)', security: session, responses: { '200': json('{ person, scopes, exp, jti }'), ...errors } },
    delete: { summary: 'Sign out: the session ends before its expiry (regulator.session_ended)', security: session, responses: { '204': { description: 'ended' }, ...errors } },
  },
  '/app/api/regulator/entries': { get: { summary: `Search the log (the filters of GET /log/v1/entries). ${logged}`, security: session, parameters: query('actionId', 'type', 'person', 'rule', 'agent', 'tier', 'decision', 'since', 'until', 'after', 'limit'), responses: { '200': json('{ entries: [{ index, text }] }'), ...errors } } },
  '/app/api/regulator/actions/{id}/trail': {
    get: {
      summary: `An action's every entry with its inclusion proof in a signed checkpoint (checked by the page). ${logged}`,
      security: session,
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'action id' }],
      responses: { '200': json('{ actionId, checkpoint: { note, size }, entries: [{ index, text, inclusion }] }'), ...errors },
    },
  },
  '/app/api/regulator/proofs/consistency': { get: { summary: `RFC 9162 consistency proof between two tree sizes (checked by the page). ${logged}`, security: session, parameters: query('from', 'to'), responses: { '200': json('{ from, to, hashes }'), ...errors } } },
  '/app/api/regulator/statistics': { get: { summary: `Aggregates of the log: actions per tier over time, approval times per tier, refusals by reason, cooling depth, signatures per modality. ${logged}`, security: session, parameters: query('since', 'until', 'buckets'), responses: { '200': json('the statistics (docs/regulator.md §7)'), ...errors } } },
  '/app/api/regulator/export': { get: { summary: 'Export bundle (as GET /v1/regulator/export); scope log:export; recorded as regulator.export (via console)', security: session, parameters: query('fromIndex', 'toIndex', 'since', 'until'), responses: { '200': { description: 'analog-firewall.dev/log-export/v1 bundle' }, ...errors } } },
  '/v1/regulator/invitations': {
    post: {
      summary: 'Invite a registered regulator to create a console passkey (role admin): a single-use, expiring link, shown once',
      security: [{ clientAssertion: [] }],
      requestBody: body('{ person, ttlSeconds? }'),
      responses: { '201': json('{ person, url, expiresAt }'), ...errors },
    },
  },
};
