import { Ajv, type ValidateFunction } from 'ajv';
import { FirewallError } from '../errors.ts';
import type { SessionStreams } from '../liveness/types.ts';
import type { Modality } from '../policy/modality.ts';
import type { RevealPayload } from '../stimulus/types.ts';
import { SCHEMA_BASE, SIGNATURE_SCHEMAS } from './schemas.ts';

/** Messages of the signature session, version 1 (docs/protocol.md). One JSON object per text frame. */

export interface AuthenticationResponse {
  id: string;
  rawId: string;
  type: 'public-key';
  authenticatorAttachment?: 'platform' | 'cross-platform';
  clientExtensionResults: Record<string, unknown>;
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string };
}

export interface RegistrationResponse {
  id: string;
  rawId: string;
  type: 'public-key';
  authenticatorAttachment?: 'platform' | 'cross-platform';
  clientExtensionResults: Record<string, unknown>;
  response: { clientDataJSON: string; attestationObject: string; authenticatorData?: string; transports?: string[]; publicKeyAlgorithm?: number; publicKey?: string };
}

export interface HelloMessage {
  v: 1;
  type: 'hello';
  challengeId: string;
  person: string;
  credentialId: string;
  digest: string;
  modalities: Modality[];
  authorization?: string;
  device?: { kind?: 'phone' | 'wearable'; software?: string };
}
export interface ChunkMessage { v: 1; type: 'chunk'; challengeId: string; seq: number; sentAt: number; samples: SessionStreams }
export interface FinishMessage { v: 1; type: 'finish'; challengeId: string; lastSeq: number; sentAt: number }
export interface AssertionMessage { v: 1; type: 'assertion'; challengeId: string; credential: AuthenticationResponse }
export type DeviceMessage = HelloMessage | ChunkMessage | FinishMessage | AssertionMessage;

export interface StartMessage {
  v: 1;
  type: 'start';
  challengeId: string;
  durationMs: number;
  modalities: Modality[];
  chunkMs: number;
  aheadToleranceMs: number;
  maxArrivalGapMs: number;
  finishWithinMs: number;
}
export interface RevealMessage { v: 1; type: 'reveal'; challengeId: string; modality: Modality; index: number; revealAt: number; dueAt: number; sentAt: number; payload: RevealPayload }
export interface AckMessage { v: 1; type: 'ack'; challengeId: string; seq: number; receivedAt: number }
export interface SignMessage {
  v: 1;
  type: 'sign';
  challengeId: string;
  nonce: string;
  digest: string;
  transcriptHash: string;
  challenge: string;
  rpId: string;
  allowCredentials: { id: string; type: 'public-key' }[];
  userVerification: 'required';
  timeoutMs: number;
}
export interface ResultMessage {
  v: 1;
  type: 'result';
  challengeId: string;
  outcome: 'accepted' | 'refused';
  reason: string;
  actionStatus?: string;
  logIndex?: number;
  next?: { challengeId: string };
}
export type GatewayMessage = StartMessage | RevealMessage | AckMessage | SignMessage | ResultMessage;

let ajv: Ajv | undefined;
function validatorOf<T>(name: string): ValidateFunction<T> {
  if (ajv === undefined) {
    ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true, validateFormats: false });
    for (const s of Object.values(SIGNATURE_SCHEMAS)) ajv.addSchema(s);
  }
  const v = ajv.getSchema<T>(SCHEMA_BASE + name);
  if (v === undefined) throw new FirewallError('SCHEMA_MISSING', `no schema ${name}`, { status: 500 });
  return v;
}

/** Validates `value` against schema `name` (e.g. 'session-chunk.json'); throws `code` with the first problem. */
export function validateMessage<T>(name: string, value: unknown, code = 'BODY_INVALID', status = 400): T {
  const v = validatorOf<T>(name);
  if (!v(value)) {
    const e = v.errors?.[0];
    const where = e?.instancePath ? e.instancePath : '(message)';
    const extra = e?.keyword === 'additionalProperties' ? ` '${String((e.params as { additionalProperty?: string }).additionalProperty).slice(0, 50)}'` : '';
    throw new FirewallError(code, `${where} ${e?.message ?? 'is invalid'}${extra}`.slice(0, 300), { status });
  }
  return value as T;
}

const DEVICE_SCHEMAS: Record<string, string> = {
  hello: 'session-hello.json',
  chunk: 'session-chunk.json',
  finish: 'session-finish.json',
  assertion: 'session-assertion.json',
};

/** Parses one text frame from a device. Anything malformed is SESSION_MESSAGE_INVALID. */
export function parseDeviceMessage(text: string): DeviceMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new FirewallError('SESSION_MESSAGE_INVALID', 'the frame is not JSON', { status: 400, cause });
  }
  const type = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as { type?: unknown }).type : undefined;
  // Own keys only: "constructor" or "toString" would find Object.prototype's members.
  const schema = typeof type === 'string' && Object.hasOwn(DEVICE_SCHEMAS, type) ? DEVICE_SCHEMAS[type] : undefined;
  if (schema === undefined) throw new FirewallError('SESSION_MESSAGE_INVALID', `unknown message type ${JSON.stringify(type)?.slice(0, 40)}`, { status: 400 });
  return validateMessage<DeviceMessage>(schema, value, 'SESSION_MESSAGE_INVALID');
}
