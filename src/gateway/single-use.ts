import { FirewallError } from '../core/errors.ts';
import type { ReplayCache } from './ports/replay-cache.ts';

/**
 * Codes of the refusals a replay check makes after a valid signature: 503s that refuse what might
 * be a replay, not counted as failed authentications. REPLAY_CACHE_FULL (too many unexpired ids to
 * remember another), REPLAY_CACHE_UNAVAILABLE (the shared replay cache cannot be reached),
 * REPLAY_CACHE_RESTARTED (the credential was made before the cache could remember every id: this
 * gateway started, or the shared cache lost its data; make a new one).
 */
export type ReplayCheckCode = 'REPLAY_CACHE_FULL' | 'REPLAY_CACHE_UNAVAILABLE' | 'REPLAY_CACHE_RESTARTED';

function replayCheckFailed(code: ReplayCheckCode, message: string, cause?: unknown): FirewallError {
  return new FirewallError(code, message, { status: 503, cause, detail: { retryAfterSeconds: 1 } });
}

/**
 * Spends a single-use id (a client assertion's or a DPoP proof's jti) in the replay cache the
 * replicas share: true the first time, false when it was used before, on this replica or another.
 * Throws a ReplayCheckCode when the cache cannot tell. `what` names the credential in messages.
 */
export async function useOnce(replay: ReplayCache, key: string, times: { issuedAt: number; expiresAt: number }, now: number, what: string): Promise<boolean> {
  let outcome: Awaited<ReturnType<ReplayCache['use']>>;
  try {
    outcome = await replay.use(key, times, now);
  } catch (cause) {
    throw replayCheckFailed('REPLAY_CACHE_UNAVAILABLE', `the replay cache cannot be reached; the ${what} is refused rather than risk accepting a replay`, cause);
  }
  if (outcome === 'forgotten') throw replayCheckFailed('REPLAY_CACHE_RESTARTED', `the ${what} was made before the replay cache (re)started, so it may have been used; make a new one`);
  if (outcome === 'full') throw replayCheckFailed('REPLAY_CACHE_FULL', `too many unexpired ${what}s to remember another; retry shortly`);
  return outcome === 'fresh';
}
