/**
 * OpenAPI paths of the approver app (docs/approver-app.md), spread into OPENAPI.paths: its pages,
 * its own API under /app/api (session cookie, Origin-checked), and the administrator's invitation API.
 */
const problem = { $ref: '#/components/responses/Problem' };
const errors = { '400': problem, '401': problem, '403': problem, '404': problem, '409': problem, '410': problem, '429': problem, '503': problem };
const session = [{ appSession: [] }];
const json = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });
const body = (description: string) => ({ required: true, content: { 'application/json': { schema: { type: 'object', description } } } });
const id = (what: string) => ({ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: what });
const page = (summary: string, params: object[] = []) => ({
  get: { summary: `The app's shell (HTML) for ${summary}; CSP without inline script or style, frame-ancestors 'none', SRI`, parameters: params, responses: { '200': { description: 'text/html' }, '503': problem } },
});

export const APP_PATHS: Record<string, Record<string, unknown>> = {
  '/app': page('the start page'),
  '/app/enrol': page('enrolment by invitation (the token in the fragment)'),
  '/app/signin': page('passkey sign-in'),
  '/app/inbox': page('the inbox'),
  '/app/actions/{id}': page('an action in detail', [id('action id')]),
  '/app/sign/{id}': page('the live signing screen', [id('challenge id')]),
  '/app/comparator/{id}': page("a CRITICAL action's evidence package, checked in the browser, and the comparator's co-signature", [id('action id')]),
  '/app/witness/{id}': page('witnessing a person who uses no modality', [id('challenge id')]),
  '/app/api/config': { get: { summary: 'RP ID, app origin, modalities, session idle time, VAPID public key', responses: { '200': json('{ rpId, appOrigin, modalities, sessionIdleSeconds, vapidPublicKey? }') } } },
  '/app/api/session/options': { post: { summary: 'Start a passkey sign-in: WebAuthn request options without allowCredentials (discoverable), user verification required', responses: { '200': json('{ ceremonyId, expiresAt, options }'), ...errors } } },
  '/app/api/session': {
    post: { summary: 'Finish the sign-in; sets the session cookie (af_session on http://localhost, __Host-af_session on https)', requestBody: body('{ ceremonyId, credential: AuthenticationResponseJSON }'), responses: { '200': json('{ person }'), ...errors } },
    delete: { summary: 'Sign out: the session ends on the server', security: session, responses: { '204': { description: 'ended' }, ...errors } },
  },
  '/app/api/invitation': { post: { summary: 'What an invitation is for (before anything is created)', requestBody: body('{ token }'), responses: { '200': json('{ person, roles, expiresAt }'), ...errors } } },
  '/app/api/enrol/options': { post: { summary: "Registration options for the invited person's passkey (discoverable, user verification required)", requestBody: body('{ token }'), responses: { '200': json('{ ceremonyId, expiresAt, options, person }'), ...errors } } },
  '/app/api/enrol': { post: { summary: 'Enrol the passkey and consume the invitation (single use); sets the session cookie', requestBody: body('{ token, ceremonyId, credential: RegistrationResponseJSON }'), responses: { '201': json('{ person }'), ...errors } } },
  '/app/api/privacy': { get: { summary: 'The privacy notice (docs/privacy.md) and its SHA-256', responses: { '200': json('{ text, sha256 }') } } },
  '/app/api/me': { get: { summary: 'The signed-in person (modalities, devices, roles)', security: session, responses: { '200': json('the person'), ...errors } } },
  '/app/api/me/consent': { post: { summary: 'Explicit consent to the privacy notice: logged as person.privacy_consent', security: session, requestBody: body('{ consent: true, noticeSha256 }'), responses: { '200': json('{ logged, noticeSha256, at }'), ...errors } } },
  '/app/api/me/modalities': { put: { summary: 'Declare the modalities this person can reliably produce (empty: the witness path)', security: session, requestBody: body('{ modalities }'), responses: { '200': json('the person'), ...errors } } },
  '/app/api/me/calibration': { post: { summary: 'An enrolment (calibration) challenge: a practice session that builds the profile; nothing is authorised', security: session, requestBody: body('{ modalities }'), responses: { '201': json('the challenge'), ...errors } } },
  '/app/api/challenges/{id}': { get: { summary: 'A challenge of mine (or one I may witness)', security: session, parameters: [id('challenge id')], responses: { '200': json('the challenge'), ...errors } } },
  '/app/api/inbox': { get: { summary: 'What waits for me: signature, share, veto (with deadline), comparator, witness', security: session, responses: { '200': json('{ items }'), ...errors } } },
  '/app/api/inbox/events': { get: { summary: 'Server-sent events: inbox (the items), then changed / challenge / challenge_closed / locked', security: session, responses: { '200': { description: 'text/event-stream' }, ...errors } } },
  '/app/api/actions/{id}': { get: { summary: 'An action as the app shows it: the Action resource, summary, agent and owner, velocity, Branch Card, fingerprint, what I may do', security: session, parameters: [id('action id')], responses: { '200': json('the detail'), ...errors } } },
  '/app/api/actions/{id}/veto': { post: { summary: 'Veto with a reason (the same rules as POST /v1/actions/{id}/veto)', security: session, parameters: [id('action id')], requestBody: body('{ reason? }'), responses: { '200': json('the Action'), ...errors } } },
  '/app/api/actions/{id}/report': { post: { summary: 'Report as suspicious: logged (action.reported_suspicious), administrators notified by webhook', security: session, parameters: [id('action id')], requestBody: body('{ reason? }'), responses: { '200': json('{ reported, at }'), ...errors } } },
  '/app/api/actions/{id}/decline': { post: { summary: 'Decline to sign with a reason: closes only my open challenge for it (signature.declined); the action goes on waiting for others, and I am not asked again for it', security: session, parameters: [id('action id')], requestBody: body('{ reason } (1-500 characters)'), responses: { '200': json('{ declined, challengeId, logIndex, at }'), ...errors } } },
  '/app/api/actions/{id}/trail': { get: { summary: "The action's log entries as a person reads them (type, time, who, role, reason, code)", security: session, parameters: [id('action id')], responses: { '200': json('{ items, truncated }'), ...errors } } },
  '/app/api/actions/{id}/evidence': { get: { summary: 'The comparator evidence package (as GET /v1/actions/{id}/evidence)', security: session, parameters: [id('action id')], responses: { '200': json('the evidence package'), ...errors } } },
  '/app/api/actions/{id}/comparator/options': { post: { summary: 'Start the comparator co-signature (as POST /v1/actions/{id}/comparator/options)', security: session, parameters: [id('action id')], requestBody: body('{ credentialId }'), responses: { '200': json('{ actionId, nonce, digest, evidence, evidenceSha256, statement, statementHash, options }'), ...errors } } },
  '/app/api/actions/{id}/comparator': { post: { summary: 'Complete the comparator co-signature (as POST /v1/actions/{id}/comparator)', security: session, parameters: [id('action id')], requestBody: body('{ credential: AuthenticationResponseJSON }'), responses: { '200': json('{ accepted, approval, logIndex, actionStatus, authorised }'), ...errors } } },
  '/app/api/challenges/{id}/witness/options': { post: { summary: 'Start witnessing (as POST /v1/challenges/{id}/witness/options)', security: session, parameters: [id('challenge id')], requestBody: body('{ credentialId }'), responses: { '200': json('{ challengeId, nonce, digest, descriptor, summary, statement, statementHash, options }'), ...errors } } },
  '/app/api/challenges/{id}/witness': { post: { summary: 'Complete the witness signature (as POST /v1/challenges/{id}/witness)', security: session, parameters: [id('challenge id')], requestBody: body('{ credential: AuthenticationResponseJSON }'), responses: { '200': json('the approval'), ...errors } } },
  '/app/api/push/subscriptions': { post: { summary: 'Subscribe this phone to Web Push (a public https push service endpoint)', security: session, requestBody: body('PushSubscription.toJSON()'), responses: { '201': json('{ subscribed }'), ...errors } } },
  '/v1/invitations': {
    post: {
      summary: 'Invite a person to the approver app (role admin): a single-use, expiring enrolment link, shown once',
      security: [{ clientAssertion: [] }],
      requestBody: body('{ person, roles? (authorizer, comparator), ttlSeconds? }'),
      responses: { '201': json('{ person, roles, url, expiresAt }'), ...errors },
    },
  },
};
