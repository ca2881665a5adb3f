/**
 * What one delivery attempt tells the gateway about an action's execution (docs/api.md §Outcomes).
 * `failed` must mean the action certainly did not execute, so only two things count as that
 * proof: the request never left the gateway (no connection was made), or the actuator gave a
 * definite refusal. Everything else that is not a success is an unknown outcome.
 *
 * - `executed`: 2xx or 3xx (a redirect is an answer; it is recorded, never followed).
 * - `refused`: a definite refusal, 4xx other than the four below. An actuator that honours the
 *   receipt contract refuses before any effect (docs/receipts.md §What an actuator may rely on).
 * - `not_processed`: the request was not sent (connection refused, no route, TLS handshake
 *   failed, timeout before connecting) or the actuator said it did not process it: 408 (it did not
 *   receive the whole request), 425 (too early), 429 (rate limited), 503 (unavailable).
 *   Nothing ran; the request may be sent again.
 * - `unknown`: the request may have been acted on: a timeout or a lost connection after bytes
 *   were sent, 409 (the Idempotency-Key draft's "a request with this key is still being
 *   processed"), 500, 502, 504 and every other 5xx (an intermediary or a crashed handler may have
 *   passed it on or done part of it).
 */
export type AttemptOutcome = 'executed' | 'refused' | 'not_processed' | 'unknown';

const NOT_PROCESSED = new Set([408, 425, 429, 503]);

/** The outcome an actuator's HTTP answer proves. */
export function outcomeOfAnswer(status: number): AttemptOutcome {
  if (status >= 200 && status < 400) return 'executed';
  if (NOT_PROCESSED.has(status)) return 'not_processed';
  if (status >= 400 && status < 500 && status !== 409) return 'refused';
  return 'unknown';
}
