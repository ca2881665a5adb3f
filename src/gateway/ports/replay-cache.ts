/**
 * Single-use ids: client-assertion `jti`s (gateway/authenticate.ts) and the nonces of
 * session-signed requests (gateway/sessions). With several replicas the cache must be shared
 * (adapters/redis), or an id refused here would be accepted by the next replica.
 *
 * - 'fresh': first use; recorded until `expiresAt`.
 * - 'reused': recorded before and not yet expired.
 * - 'full': the cache cannot hold another unexpired id (it refuses rather than forget one).
 * - 'forgotten': the id was issued before the moment since which the cache remembers every id it
 *   was given (this process started; a shared cache lost its data), so it cannot tell.
 *
 * A cache that cannot answer (a shared one unreachable) rejects; callers refuse the request then.
 */
export type ReplayOutcome = 'fresh' | 'reused' | 'full' | 'forgotten';

export interface ReplayCache {
  /** Times in ms on the gateway's clock; `issuedAt` is when the id's credential was made. */
  use(key: string, times: { issuedAt: number; expiresAt: number }, now: number): Promise<ReplayOutcome>;
}
