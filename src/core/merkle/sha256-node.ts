/**
 * SHA-256 on Node: the native one-shot hash. The log and the gateway hash every entry, and
 * node:crypto is about three times faster than pure JavaScript on log-sized inputs. Browsers get
 * sha256-portable.ts instead (package.json "imports", condition "browser"); both export the same.
 */
import { hash } from 'node:crypto';

export function sha256(data: Uint8Array): Uint8Array {
  return hash('sha256', data, 'buffer');
}
