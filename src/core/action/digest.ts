import { canonicalDigest } from '../canonical.ts';
import type { ActionDescriptor } from './descriptor.ts';

/** The canonical action digest: SHA-256 over RFC 8785 JSON of the descriptor (hex). */
export function actionDigest(descriptor: ActionDescriptor): string {
  return canonicalDigest(descriptor);
}
