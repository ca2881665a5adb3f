import type { SourceFailure } from './sources/source.ts';

/**
 * What the person reads when signing does not complete. Deliberately silent about which check
 * failed (docs/protocol.md §3: the real reason is in the transparency log only); each says that
 * nothing was signed and the request is still waiting.
 */
export const STILL_PENDING = 'Nothing was signed and nothing was carried out: the request is still waiting for a decision.';

/** A witness-mode challenge (docs/protocol.md §7): the person signs through an institutional witness. */
export const WITNESS_PATH = 'You confirm this request through an institutional witness: a witness (a compliance officer) meets you, reads you the request and confirms it with their own passkey from their app.';

export const SENSOR_MESSAGES: Record<SourceFailure, string> = {
  denied: 'Access to a sensor was refused. Allow it in your browser settings, or choose another way to sign.',
  unavailable: 'This device or browser does not offer a sensor you chose. Choose another way to sign.',
  stopped: 'A sensor stopped sending readings during signing.',
  disconnected: 'The heart-rate strap disconnected during signing.',
  failed: 'A sensor reported an error during signing.',
};

/** Outcome codes of SigningResult (closed list, documented in README.md). */
export type SigningOutcome = 'accepted' | 'refused' | 'locked' | 'sensor' | 'connection' | 'unavailable' | 'device-refused' | 'passkey' | 'cancelled';

export const OUTCOME_MESSAGES: Record<Exclude<SigningOutcome, 'sensor'>, string> = {
  accepted: 'Signed. Your signature was accepted.',
  refused: 'The signature was not accepted.',
  locked: 'Signing is locked for you. Ask an administrator.',
  connection: 'The connection to the gateway was lost during signing.',
  unavailable: 'This request can no longer be signed (it was decided, expired or already used).',
  'device-refused': 'This device refused to sign: what the gateway sent did not match what you were shown.',
  passkey: 'The passkey did not sign (cancelled or not available).',
  cancelled: 'Signing was cancelled.',
};
