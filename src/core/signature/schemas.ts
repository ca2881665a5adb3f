import { MODALITIES } from '../policy/modality.ts';

/**
 * JSON Schemas (draft 2020-12) of every message of the enrolment API and the signature session
 * (docs/protocol.md). The gateway validates with these; docs/schemas/v1/*.json are copies written
 * by `node scripts/write-signature-schemas.ts` and test/signature/schemas.test.ts keeps them equal.
 * Version 1: a change that an existing device could not follow gets a new version directory.
 */
export const SCHEMA_BASE = 'https://analog-firewall.dev/schemas/signature/v1/';

/** Bounds: one chunk, one stream, one id. Chosen so a 300 s session of all six modalities fits. */
export const LIMITS = {
  maxIdLength: 200,
  maxSamplesPerArray: 20_000,
  maxChunkBytes: 4 * 1024 * 1024,
} as const;

const id = { type: 'string', minLength: 1, maxLength: LIMITS.maxIdLength };
const b64u = { type: 'string', pattern: '^[A-Za-z0-9_-]*$', maxLength: 16_384 };
const hex64 = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const ms = { type: 'number', minimum: 0, maximum: 3_600_000 };
const seq = { type: 'integer', minimum: 0, maximum: 1_000_000 };
const modality = { enum: [...MODALITIES] };
const modalityList = { type: 'array', items: modality, minItems: 1, maxItems: MODALITIES.length, uniqueItems: true };
const num = { type: 'number' };
const samples = (props: Record<string, unknown>, required: string[]) => ({
  type: 'array',
  maxItems: LIMITS.maxSamplesPerArray,
  items: { type: 'object', additionalProperties: false, required, properties: props },
});
const t = { type: 'number', minimum: 0, maximum: 3_600_000 };
const vec3 = samples({ t, x: num, y: num, z: num }, ['t', 'x', 'y', 'z']);

/** Per-modality sample arrays (docs/liveness.md §Stream formats). */
export const SAMPLES_SCHEMA = {
  $id: SCHEMA_BASE + 'samples.json',
  title: 'Samples of one chunk, per modality',
  type: 'object',
  additionalProperties: false,
  properties: {
    hrv: { type: 'object', additionalProperties: false, required: ['rr'], properties: { rr: samples({ t, ms: { type: 'number', exclusiveMinimum: 0, maximum: 10_000 } }, ['t', 'ms']) } },
    motion: { type: 'object', additionalProperties: false, required: ['acc'], properties: { acc: vec3, gyro: vec3 } },
    typing: {
      type: 'object',
      additionalProperties: false,
      required: ['keys'],
      properties: { keys: samples({ t, key: { type: 'string', minLength: 1, maxLength: 16 }, type: { enum: ['down', 'up'] } }, ['t', 'key', 'type']) },
    },
    gaze: { type: 'object', additionalProperties: false, required: ['pts'], properties: { pts: samples({ t, x: num, y: num }, ['t', 'x', 'y']) } },
    voice: {
      type: 'object',
      additionalProperties: false,
      required: ['frames'],
      properties: { frames: samples({ t, f0Hz: { type: ['number', 'null'] }, energyDb: num }, ['t', 'f0Hz', 'energyDb']) },
    },
    eda: { type: 'object', additionalProperties: false, required: ['sc'], properties: { sc: samples({ t, uS: num }, ['t', 'uS']) } },
  },
};

const envelope = (type: string, props: Record<string, unknown>, required: string[]) => ({
  type: 'object',
  additionalProperties: false,
  required: ['v', 'type', 'challengeId', ...required],
  properties: { v: { const: 1 }, type: { const: type }, challengeId: id, ...props },
});

/** The shell WebAuthn gives both ceremonies' responses (`PublicKeyCredential.toJSON()`); only `response` differs. */
const credentialResponse = (file: string, title: string, required: string[], response: Record<string, unknown>) => ({
  $id: SCHEMA_BASE + file,
  title,
  type: 'object',
  additionalProperties: false,
  required: ['id', 'rawId', 'type', 'response', 'clientExtensionResults'],
  properties: {
    id: b64u,
    rawId: b64u,
    type: { const: 'public-key' },
    authenticatorAttachment: { enum: ['platform', 'cross-platform'] },
    clientExtensionResults: { type: 'object' },
    response: { type: 'object', additionalProperties: false, required, properties: response },
  },
});

/** AuthenticationResponseJSON (WebAuthn Level 3 §5.1 `toJSON()` of a PublicKeyCredential from get()). */
export const AUTHENTICATION_RESPONSE_SCHEMA = credentialResponse(
  'authentication-response.json',
  'WebAuthn assertion (AuthenticationResponseJSON)',
  ['clientDataJSON', 'authenticatorData', 'signature'],
  { clientDataJSON: b64u, authenticatorData: b64u, signature: b64u, userHandle: b64u },
);

/** RegistrationResponseJSON (from create()). */
export const REGISTRATION_RESPONSE_SCHEMA = credentialResponse(
  'registration-response.json',
  'WebAuthn attestation (RegistrationResponseJSON)',
  ['clientDataJSON', 'attestationObject'],
  {
    clientDataJSON: b64u,
    attestationObject: b64u,
    authenticatorData: b64u,
    transports: { type: 'array', items: { type: 'string', maxLength: 32 }, maxItems: 8 },
    publicKeyAlgorithm: { type: 'integer' },
    publicKey: b64u,
  },
);

// --- session: device -> gateway --------------------------------------------------------------

export const HELLO_SCHEMA = {
  $id: SCHEMA_BASE + 'session-hello.json',
  title: 'hello (device -> gateway): opens the session',
  ...envelope(
    'hello',
    {
      person: id,
      credentialId: b64u,
      digest: hex64,
      modalities: modalityList,
      authorization: { type: 'string', maxLength: 8192, pattern: '^Bearer ' },
      device: { type: 'object', additionalProperties: false, properties: { kind: { enum: ['phone', 'wearable'] }, software: { type: 'string', maxLength: 200 } } },
    },
    ['person', 'credentialId', 'digest', 'modalities'],
  ),
};

export const CHUNK_SCHEMA = {
  $id: SCHEMA_BASE + 'session-chunk.json',
  title: 'chunk (device -> gateway): samples produced since the previous chunk',
  ...envelope('chunk', { seq, sentAt: ms, samples: { $ref: 'samples.json' } }, ['seq', 'sentAt', 'samples']),
};

export const FINISH_SCHEMA = {
  $id: SCHEMA_BASE + 'session-finish.json',
  title: 'finish (device -> gateway): the sustained duration is over, no more chunks',
  ...envelope('finish', { lastSeq: { type: 'integer', minimum: -1, maximum: 1_000_000 }, sentAt: ms }, ['lastSeq', 'sentAt']),
};

export const ASSERTION_SCHEMA = {
  $id: SCHEMA_BASE + 'session-assertion.json',
  title: 'assertion (device -> gateway): the passkey signature over the assertion challenge',
  ...envelope('assertion', { credential: { $ref: 'authentication-response.json' } }, ['credential']),
};

// --- session: gateway -> device --------------------------------------------------------------

export const START_SCHEMA = {
  $id: SCHEMA_BASE + 'session-start.json',
  title: 'start (gateway -> device): device time 0 is the arrival of this message',
  ...envelope(
    'start',
    {
      durationMs: { type: 'integer', minimum: 1 },
      modalities: modalityList,
      chunkMs: { type: 'integer', minimum: 1 },
      aheadToleranceMs: { type: 'integer', minimum: 0 },
      maxArrivalGapMs: { type: 'integer', minimum: 1 },
      finishWithinMs: { type: 'integer', minimum: 1 },
    },
    ['durationMs', 'modalities', 'chunkMs', 'aheadToleranceMs', 'maxArrivalGapMs', 'finishWithinMs'],
  ),
};

export const REVEAL_SCHEMA = {
  $id: SCHEMA_BASE + 'session-reveal.json',
  title: 'reveal (gateway -> device): one stimulus element, sent at revealAt and never earlier',
  ...envelope(
    'reveal',
    { modality, index: { type: 'integer', minimum: 0 }, revealAt: ms, dueAt: ms, sentAt: ms, payload: { type: 'object' } },
    ['modality', 'index', 'revealAt', 'dueAt', 'sentAt', 'payload'],
  ),
};

export const ACK_SCHEMA = {
  $id: SCHEMA_BASE + 'session-ack.json',
  title: 'ack (gateway -> device): a chunk was accepted; receivedAt is gateway ms since start',
  ...envelope('ack', { seq, receivedAt: ms }, ['seq', 'receivedAt']),
};

export const SIGN_SCHEMA = {
  $id: SCHEMA_BASE + 'session-sign.json',
  title: 'sign (gateway -> device): the session is complete; sign the assertion challenge',
  ...envelope(
    'sign',
    {
      nonce: b64u,
      digest: hex64,
      transcriptHash: hex64,
      challenge: b64u,
      rpId: { type: 'string' },
      allowCredentials: { type: 'array', items: { type: 'object', required: ['id', 'type'], properties: { id: b64u, type: { const: 'public-key' } } } },
      userVerification: { const: 'required' },
      timeoutMs: { type: 'integer', minimum: 1 },
    },
    ['nonce', 'digest', 'transcriptHash', 'challenge', 'rpId', 'allowCredentials', 'userVerification', 'timeoutMs'],
  ),
};

export const RESULT_SCHEMA = {
  $id: SCHEMA_BASE + 'session-result.json',
  title: 'result (gateway -> device): the outcome; the reason is deliberately generic (the log has the real one)',
  ...envelope(
    'result',
    {
      outcome: { enum: ['accepted', 'refused'] },
      reason: { type: 'string' },
      actionStatus: { type: 'string' },
      logIndex: { type: 'integer', minimum: 0 },
      next: { type: 'object', required: ['challengeId'], properties: { challengeId: id } },
    },
    ['outcome', 'reason'],
  ),
};

// --- enrolment API bodies ------------------------------------------------------------------------

export const PERSON_DECLARATION_SCHEMA = {
  $id: SCHEMA_BASE + 'person-declaration.json',
  title: 'PUT /v1/people/{id}: the modalities this person can reliably produce (may be empty)',
  type: 'object',
  additionalProperties: false,
  required: ['modalities'],
  properties: {
    modalities: { type: 'array', items: modality, maxItems: MODALITIES.length, uniqueItems: true },
    displayName: { type: 'string', maxLength: 200 },
  },
};

export const REGISTRATION_OPTIONS_REQUEST_SCHEMA = {
  $id: SCHEMA_BASE + 'registration-options-request.json',
  title: 'POST /v1/people/{id}/devices/registration-options',
  type: 'object',
  additionalProperties: false,
  required: ['kind'],
  properties: { kind: { enum: ['phone', 'wearable'] }, name: { type: 'string', maxLength: 200 } },
};

export const DEVICE_REGISTRATION_SCHEMA = {
  $id: SCHEMA_BASE + 'device-registration.json',
  title: 'POST /v1/people/{id}/devices: completes the registration ceremony',
  type: 'object',
  additionalProperties: false,
  required: ['ceremonyId', 'credential'],
  properties: { ceremonyId: id, credential: { $ref: 'registration-response.json' } },
};

export const DEVICE_AUTHENTICATION_SCHEMA = {
  $id: SCHEMA_BASE + 'device-authentication.json',
  title: 'POST /v1/devices/{id}/authentication: completes an authentication ceremony',
  type: 'object',
  additionalProperties: false,
  required: ['ceremonyId', 'credential'],
  properties: { ceremonyId: id, credential: { $ref: 'authentication-response.json' } },
};

export const CHALLENGE_REQUEST_SCHEMA = {
  $id: SCHEMA_BASE + 'challenge-request.json',
  title: 'POST /v1/people/{id}/challenges: a fresh challenge for an action awaiting this person',
  type: 'object',
  additionalProperties: false,
  required: ['actionId'],
  properties: { actionId: id },
};

export const ENROLMENT_SESSION_REQUEST_SCHEMA = {
  $id: SCHEMA_BASE + 'enrolment-session-request.json',
  title: 'POST /v1/people/{id}/enrolment-sessions: a practice session whose result builds the profile',
  type: 'object',
  additionalProperties: false,
  required: ['modalities'],
  properties: { modalities: modalityList, durationMs: { type: 'integer', minimum: 20_000, maximum: 300_000 } },
};

export const WITNESS_OPTIONS_REQUEST_SCHEMA = {
  $id: SCHEMA_BASE + 'witness-options-request.json',
  title: 'POST /v1/challenges/{id}/witness/options: the witness names the passkey they will sign with',
  type: 'object',
  additionalProperties: false,
  required: ['credentialId'],
  properties: { credentialId: b64u },
};

export const WITNESS_ASSERTION_SCHEMA = {
  $id: SCHEMA_BASE + 'witness-assertion.json',
  title: 'POST /v1/challenges/{id}/witness: the witness passkey assertion',
  type: 'object',
  additionalProperties: false,
  required: ['credential'],
  properties: { credential: { $ref: 'authentication-response.json' } },
};

export const CHALLENGE_VIEW_SCHEMA = {
  $id: SCHEMA_BASE + 'challenge.json',
  title: 'A signature challenge as its person (or a witness) sees it: what you see is what you sign',
  type: 'object',
  required: ['id', 'purpose', 'mode', 'person', 'digest', 'state', 'issuedAt', 'expiresAt', 'sustainedMs', 'modalities', 'links'],
  properties: {
    id,
    purpose: { enum: ['action', 'enrolment'] },
    mode: { enum: ['biological', 'witness'] },
    person: id,
    actionId: id,
    digest: hex64,
    descriptor: { type: 'object', description: 'the action descriptor: SHA-256 of its RFC 8785 form is `digest`' },
    summary: {
      type: 'object',
      required: ['text'],
      properties: {
        text: { type: 'string' },
        operation: { type: 'string' },
        actuator: { type: 'string' },
        target: { type: 'string' },
        amount: { type: 'number' },
        currency: { type: 'string' },
        agent: { type: 'string' },
        reversibility: { type: 'string' },
        tier: { type: 'string' },
      },
    },
    state: { enum: ['issued', 'active', 'succeeded', 'failed', 'expired', 'cancelled'] },
    issuedAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    sustainedMs: { type: 'integer' },
    modalities: { type: 'array', items: modality },
    nonceSha256: hex64,
    roles: {
      type: 'object',
      description: "present when the policy sets modality roles (docs/policy.md §Signature roles): the hello must name at least minPrimary of primary and minSupporting of supporting, captured together on one device; mode: 'primaries' (the person meets the policy's count) or the fallback the policy allows them ('supporting', 'longer', 'witness')",
      additionalProperties: false,
      required: ['mode', 'primary', 'minPrimary', 'supporting', 'minSupporting'],
      properties: {
        mode: { enum: ['primaries', 'supporting', 'longer', 'witness'] },
        primary: { type: 'array', items: modality },
        minPrimary: { type: 'integer', minimum: 0 },
        supporting: { type: 'array', items: modality },
        minSupporting: { type: 'integer', minimum: 0 },
      },
    },
    links: { type: 'object' },
  },
};

/** Every schema, by file name (docs/schemas/v1/<name>). */
export const SIGNATURE_SCHEMAS: Record<string, { $id: string }> = Object.fromEntries(
  [
    SAMPLES_SCHEMA,
    AUTHENTICATION_RESPONSE_SCHEMA,
    REGISTRATION_RESPONSE_SCHEMA,
    HELLO_SCHEMA,
    CHUNK_SCHEMA,
    FINISH_SCHEMA,
    ASSERTION_SCHEMA,
    START_SCHEMA,
    REVEAL_SCHEMA,
    ACK_SCHEMA,
    SIGN_SCHEMA,
    RESULT_SCHEMA,
    PERSON_DECLARATION_SCHEMA,
    REGISTRATION_OPTIONS_REQUEST_SCHEMA,
    DEVICE_REGISTRATION_SCHEMA,
    DEVICE_AUTHENTICATION_SCHEMA,
    CHALLENGE_REQUEST_SCHEMA,
    ENROLMENT_SESSION_REQUEST_SCHEMA,
    WITNESS_OPTIONS_REQUEST_SCHEMA,
    WITNESS_ASSERTION_SCHEMA,
    CHALLENGE_VIEW_SCHEMA,
  ].map((s) => [s.$id.slice(SCHEMA_BASE.length), s]),
);
