import type { RolePlan } from '../../core/policy/signature-roles.ts';
import { FirewallError } from '../../core/errors.ts';
import type { ChunkArrival, SessionStreams } from '../../core/liveness/index.ts';
import type { Modality } from '../../core/policy/modality.ts';
import type { AuthenticationResponse } from '../../core/signature/messages.ts';
import type { RevealEvent, Stimulus } from '../../core/stimulus/index.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import type { ChallengeRow, DeviceRow, PersonRow } from '../ports/signatures.ts';

/** Refusal codes the log records; the device only ever sees one of DEVICE_REASONS. */
export const DEVICE_REASONS = {
  refused: 'signature refused',
  unavailable: 'challenge unavailable',
  locked: 'signing is locked for this person; ask an administrator',
  unauthenticated: 'authentication failed',
} as const;
export type DeviceReason = keyof typeof DEVICE_REASONS;

/** Codes that mean the challenge could not be used at all (nothing was tried). */
export const UNAVAILABLE: ReadonlySet<string> = new Set(['CHALLENGE_NOT_FOUND', 'CHALLENGE_USED', 'CHALLENGE_EXPIRED', 'CHALLENGE_UNAVAILABLE', 'HSM_UNAVAILABLE', 'ACTION_NOT_PENDING', 'RATE_LIMITED']);

export class SessionRefused extends FirewallError {
  readonly deviceReason: DeviceReason;
  readonly next: string | undefined;
  constructor(code: string, message: string, deviceReason: DeviceReason, next?: string) {
    super(code, message, { status: deviceReason === 'unauthenticated' ? 401 : deviceReason === 'locked' ? 423 : 409 });
    this.deviceReason = deviceReason;
    this.next = next;
  }
}

/**
 * Codes of sessions the gateway ends for reasons of its own (the action stopped waiting, the person
 * was erased or locked, the gateway restarted): not the person's failure, so never counted toward
 * the lock. A session cut short by a lock would otherwise add a failure the lock already answered.
 */
const GATEWAY_ENDED = ['ACTION_NOT_PENDING', 'PERSON_ERASED', 'PERSON_LOCKED', 'GATEWAY_RESTARTED'] as const;
export type GatewayEndCode = (typeof GATEWAY_ENDED)[number];
export const NOT_COUNTED: ReadonlySet<string> = new Set<string>(GATEWAY_ENDED);

/**
 * A fault of the gateway's own while it handled a started session (an exception in the transport
 * or the final verification). It fails closed like any refusal (the challenge is consumed, the
 * action's attempt is used), but it is not the person's failure, so it never counts toward the
 * lock. Unlike GATEWAY_ENDED it keeps its point of the per-hour session limit spent: a fault that
 * a device could provoke on purpose must not become a way to try without limit.
 */
export const GATEWAY_FAULT = 'INTERNAL_ERROR';

/**
 * Why the service ends a running session: the refusal code the log records for it (a string
 * literal, so the transport forwards it without reading messages) and its message.
 */
export interface LiveEnd {
  code: GatewayEndCode;
  message: string;
}

/** Everything a running session needs; the nonce (stored only sealed by the HSM) and stimulus stay in this process's memory. */
export interface SessionPlan {
  challenge: ChallengeRow;
  principal: PrincipalRecord;
  person: PersonRow;
  device: DeviceRow;
  modalities: Modality[];
  nonce: Uint8Array;
  stimulus: Stimulus;
  schedule: RevealEvent[];
  /** The policy's modality roles for this challenge (absent when the policy sets none). */
  roles?: RolePlan;
}

/** What the transport hands over when the device has sent its assertion. */
export interface SessionOutcome {
  transcriptHash: string;
  assertion: AuthenticationResponse;
  streams: SessionStreams;
  arrivals: Partial<Record<Modality, ChunkArrival[]>>;
  /** The reveal events with revealAt = the time each was actually sent. */
  reveal: RevealEvent[];
  chunks: number;
}

export interface SessionResult {
  accepted: boolean;
  code: string;
  /** This refusal locked the person: the device is told so (it reveals no check, only the lock). */
  locked?: boolean;
  logIndex?: number;
  actionStatus?: string;
  next?: string;
}
