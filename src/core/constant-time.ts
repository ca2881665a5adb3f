import { timingSafeEqual, createHash } from 'node:crypto';

/** Compare secrets without leaking where they differ. Hashing first makes lengths equal too. */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
