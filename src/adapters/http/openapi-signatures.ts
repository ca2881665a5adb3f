import {
  CHALLENGE_REQUEST_SCHEMA,
  CHALLENGE_VIEW_SCHEMA,
  DEVICE_AUTHENTICATION_SCHEMA,
  DEVICE_REGISTRATION_SCHEMA,
  ENROLMENT_SESSION_REQUEST_SCHEMA,
  PERSON_DECLARATION_SCHEMA,
  REGISTRATION_OPTIONS_REQUEST_SCHEMA,
  SCHEMA_BASE,
  WITNESS_ASSERTION_SCHEMA,
  WITNESS_OPTIONS_REQUEST_SCHEMA,
} from '../../core/signature/schemas.ts';

/**
 * OpenAPI paths of biological signatures (people, devices, challenges, the session WebSocket),
 * spread into OPENAPI.paths. Request bodies point at the versioned JSON Schemas published in
 * docs/schemas/v1 (their `$id`s); the session's messages are described in docs/protocol.md.
 */
const problem = { $ref: '#/components/responses/Problem' };
const errors = { '400': problem, '401': problem, '403': problem, '404': problem, '409': problem, '422': problem, '423': problem, '429': problem, '503': problem };
const auth = [{ clientAssertion: [] }];
/** A person's own routes the approver app calls with its session cookie instead (docs/protocol.md §Parties). */
const self = [{ clientAssertion: [] }, { appSession: [] }];
const id = (what: string) => ({ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: what });
const person = id('person (principal) id: a person manages only their own enrolment');
const device = id('device = WebAuthn credential id (base64url)');
const challenge = id('challenge id');
/** JSON Schema of a body, by reference to the published file (its $id), with a title for readers. */
const body = (s: { $id: string; title?: string }) => ({
  required: true,
  content: { 'application/json': { schema: { $ref: s.$id, description: `${s.title ?? ''} (docs/schemas/v1/${s.$id.slice(SCHEMA_BASE.length)})` } } },
});
const json = (description: string, schema?: object) => ({ description, content: { 'application/json': { schema: schema ?? { type: 'object' } } } });

export const SIGNATURE_PATHS: Record<string, Record<string, unknown>> = {
  '/v1/people/{id}': {
    put: { summary: 'Declare the modalities this person can reliably produce (hrv, motion, typing, gaze, voice, eda; may be empty: witness fallback)', security: auth, parameters: [person], requestBody: body(PERSON_DECLARATION_SCHEMA), responses: { '200': json('the person'), ...errors } },
    get: { summary: 'The person: modalities, devices, lock state', security: self, parameters: [person], responses: { '200': json('the person'), ...errors } },
    delete: {
      summary:
        "Erase the person's biometric and device data (role admin; GDPR art. 17, BIPA destruction): profile, declared modalities, fingerprints, enrolment summaries, devices (revoked and deleted), pending ceremonies, in one transaction; their open challenges are closed. Logged as person.erased (no biometric data). Repeating it answers erased: false, alreadyErased: true; a person with no record is 404",
      security: auth,
      parameters: [id('person id')],
      responses: { '200': json('{ person, erased, alreadyErased, erasedAt, basis, logIndex, rows?, devices?, challengesClosed? }'), ...errors },
    },
  },
  '/v1/people/{id}/devices/registration-options': {
    post: {
      summary: 'Start a WebAuthn registration ceremony for a phone or wearable: PublicKeyCredentialCreationOptionsJSON (EdDSA or ES256; user verification required) and a single-use ceremony id (5 min)',
      security: auth,
      parameters: [person],
      requestBody: body(REGISTRATION_OPTIONS_REQUEST_SCHEMA),
      responses: { '200': json('{ ceremonyId, expiresAt, options }'), ...errors },
    },
  },
  '/v1/people/{id}/devices': {
    post: { summary: 'Finish the registration ceremony (packed or none attestation); the credential belongs to this person only. Logged as device.enrolled', security: auth, parameters: [person], requestBody: body(DEVICE_REGISTRATION_SCHEMA), responses: { '201': json('the device'), ...errors } },
  },
  '/v1/people/{id}/challenges': {
    get: { summary: "This person's open signature challenges", security: self, parameters: [person], responses: { '200': json('{ challenges: Challenge[] }'), ...errors } },
    post: { summary: 'Ask for a fresh challenge for an action awaiting this person (after a failed attempt, or enrolled late)', security: self, parameters: [person], requestBody: body(CHALLENGE_REQUEST_SCHEMA), responses: { '201': json('the challenge', { $ref: CHALLENGE_VIEW_SCHEMA.$id }), ...errors } },
  },
  '/v1/people/{id}/challenges/next': {
    post: {
      summary:
        'The challenge a device should sign next: first issues challenges for actions already waiting on this person that have none open for them (idempotent), then answers the unstarted biological challenge that expires first. 404 NO_OPEN_CHALLENGE when nothing awaits them, 423 PERSON_LOCKED, 429 RATE_LIMITED when no signature session is left this hour',
      security: self,
      parameters: [person],
      responses: { '200': json('the challenge', { $ref: CHALLENGE_VIEW_SCHEMA.$id }), ...errors },
    },
  },
  '/v1/people/{id}/enrolment-sessions': {
    post: { summary: 'An enrolment (practice) session: a challenge with no action whose accepted result builds the per-person profile', security: self, parameters: [person], requestBody: body(ENROLMENT_SESSION_REQUEST_SCHEMA), responses: { '201': json('the challenge', { $ref: CHALLENGE_VIEW_SCHEMA.$id }), ...errors } },
  },
  '/v1/people/{id}/events': {
    get: { summary: "Server-sent events for the person's devices: `challenge` (issued), `challenge_closed`, `locked`", security: self, parameters: [person], responses: { '200': { description: 'text/event-stream' }, ...errors } },
  },
  '/v1/people/{id}/unlock': {
    post: { summary: 'Unlock a person locked after repeated failed signatures (role admin). Logged as signature.person_unlocked', security: auth, parameters: [id('person id')], responses: { '200': json('the person'), ...errors } },
  },
  '/v1/devices/{id}': {
    get: { summary: 'One of your devices', security: auth, parameters: [device], responses: { '200': json('the device'), ...errors } },
    delete: { summary: 'Revoke one of your devices (it can no longer sign). Logged as device.revoked', security: auth, parameters: [device], responses: { '200': json('the device, with revokedAt'), ...errors } },
  },
  '/v1/devices/{id}/authentication-options': {
    post: { summary: 'Start a WebAuthn authentication ceremony with this device (single-use server-side challenge, 5 min)', security: auth, parameters: [device], responses: { '200': json('{ ceremonyId, expiresAt, options }'), ...errors } },
  },
  '/v1/devices/{id}/authentication': {
    post: { summary: 'Finish the authentication ceremony; the signature counter must advance (persisted atomically)', security: auth, parameters: [device], requestBody: body(DEVICE_AUTHENTICATION_SCHEMA), responses: { '200': json('{ verified, device }'), ...errors } },
  },
  '/v1/challenges/{id}': {
    get: { summary: 'A challenge as its person (or, for witness challenges, a comparator) sees it: digest, descriptor, plain-language summary, expiry, sustained duration, modalities', security: self, parameters: [challenge], responses: { '200': json('the challenge', { $ref: CHALLENGE_VIEW_SCHEMA.$id }), ...errors } },
  },
  '/v1/challenges/{id}/session': {
    get: {
      summary:
        'WebSocket (RFC 6455 upgrade): the live biological-signature session. Client assertion (htm GET, htu = PUBLIC_URL + this path) in the Authorization header or in hello.authorization, or the approver app session cookie; an Origin outside WEBAUTHN_ORIGINS is refused (403). Messages hello, chunk, finish, assertion (device) and start, reveal, ack, sign, result (gateway): docs/protocol.md and docs/schemas/v1/session-*.json. A plain GET gets 426',
      security: self,
      parameters: [challenge, { name: 'Upgrade', in: 'header', required: true, schema: { const: 'websocket' } }],
      responses: { '101': { description: 'Switching Protocols: the session runs' }, '426': problem, ...errors },
    },
  },
  '/v1/challenges/{id}/witness/options': {
    post: {
      summary: 'Institutional witness (role comparator), in person with someone who can use no modality: consumes the challenge and returns the WebAuthn options over SHA-256(nonce || digest || SHA-256(statement))',
      security: auth,
      parameters: [challenge],
      requestBody: body(WITNESS_OPTIONS_REQUEST_SCHEMA),
      responses: { '200': json('{ challengeId, nonce, digest, descriptor, summary, statement, statementHash, options }'), ...errors },
    },
  },
  '/v1/challenges/{id}/witness': {
    post: { summary: "The witness's passkey assertion: recorded as an approval with role 'witness' (HIGH: the action is authorised and dispatched)", security: auth, parameters: [challenge], requestBody: body(WITNESS_ASSERTION_SCHEMA), responses: { '200': json('{ accepted, approval, logIndex, actionStatus }'), ...errors } },
  },
  // The comparator of a CRITICAL action whose comparator group is biological: false (gateway/comparator.ts).
  '/v1/actions/{id}/evidence': {
    get: {
      summary:
        "Evidence package for a member of the action's comparator group (role comparator): action and digest, plain-language summary, policy rule and the quorum it requires, every approval so far with its liveness result, the quorum evaluation, and RFC 6962 inclusion proofs of the approval log entries against a signed checkpoint",
      security: auth,
      parameters: [id('action id')],
      responses: { '200': json('{ v, type: comparator-evidence, action, digest, descriptor, summary, policy, approvals, quorum, log: { origin, treeSize, rootHash, checkpoint, inclusion[] } }'), ...errors },
    },
  },
  '/v1/actions/{id}/comparator/options': {
    post: {
      summary:
        'Start the comparator co-signature: builds the evidence package and returns the WebAuthn options over SHA-256(nonce || digest || SHA-256(statement)), statement = { v, type: comparator, actionId, digest, comparator, credentialId, evidenceSha256 }; single use, 5 minutes. A biological comparator group answers its biological challenge instead (409 COMPARATOR_BIOLOGICAL_REQUIRED)',
      security: auth,
      parameters: [id('action id')],
      requestBody: body(WITNESS_OPTIONS_REQUEST_SCHEMA),
      responses: { '200': json('{ actionId, nonce, digest, evidence, evidenceSha256, statement, statementHash, options }'), ...errors },
    },
  },
  '/v1/actions/{id}/comparator': {
    post: {
      summary:
        "The comparator's passkey assertion: verified (credential, challenge, origin, RP ID, UV, counter), then counted by the quorum engine as an approval with role 'comparator'; refused 409 COMPARATOR_BEFORE_QUORUM before the authorizers met the quorum. Completing the quorum authorises and dispatches the action",
      security: auth,
      parameters: [id('action id')],
      requestBody: body(WITNESS_ASSERTION_SCHEMA),
      responses: { '200': json('{ accepted, approval, logIndex, actionStatus, authorised }'), ...errors },
    },
  },
};
