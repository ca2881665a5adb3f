/** The files of one device, all inside its data directory (mode 0700). */
import { join } from 'node:path';

export interface DevicePaths {
  dir: string;
  store: string;
  anchor: string;
  audit: string;
  tamper: string;
  lock: string;
  defaultSocket: string;
}

export function devicePaths(dir: string): DevicePaths {
  return {
    dir,
    store: join(dir, 'store.json'),
    anchor: join(dir, 'anchor.json'),
    audit: join(dir, 'audit.jsonl'),
    tamper: join(dir, 'tamper.json'),
    lock: join(dir, 'lock'),
    defaultSocket: join(dir, 'hsm.sock'),
  };
}
