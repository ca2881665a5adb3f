/**
 * The sealed token store: one JSON file `{ body, mac }`, mac = HMAC-SHA256(storeMac key, JCS(body)).
 * A commit is copy-on-write: mutate a clone, write store.json atomically, then the anchor, then a
 * `store.commit` audit entry. A crash between any two steps is recognised on open and completed
 * (store/integrity.ts); nothing is half-visible.
 */
import { canonicalJson } from '../../src/core/canonical.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { writeAnchor } from './anchor.ts';
import { writeFileAtomic } from './atomic-file.ts';
import type { DevicePaths } from './paths.ts';
import { mac, type DeviceKeys } from './sealing.ts';
import type { StoreBody } from './schema.ts';

export type CommitStage = 'store-temp-written' | 'store-renamed' | 'anchor-written';

/** Called at each stage of a commit with the commit's reason; the crash tests stall here. */
export type CommitProbe = (stage: CommitStage, reason: string) => void;

export function storeMac(keys: DeviceKeys, body: StoreBody): string {
  return mac(keys.storeMac, canonicalJson(body));
}

export function encodeStoreFile(keys: DeviceKeys, body: StoreBody): { text: string; mac: string } {
  const m = storeMac(keys, body);
  // Indented so an operator can read it; the MAC covers the canonical form, not the layout.
  return { text: JSON.stringify({ body, mac: m }, null, 2) + '\n', mac: m };
}

export class Store {
  readonly #paths: DevicePaths;
  readonly #keys: DeviceKeys;
  readonly #audit: AuditLog;
  readonly #probe: CommitProbe | undefined;
  #body: StoreBody;

  constructor(paths: DevicePaths, keys: DeviceKeys, audit: AuditLog, body: StoreBody, probe?: CommitProbe) {
    this.#paths = paths;
    this.#keys = keys;
    this.#audit = audit;
    this.#body = body;
    this.#probe = probe;
  }

  get body(): Readonly<StoreBody> {
    return this.#body;
  }

  get keys(): DeviceKeys {
    return this.#keys;
  }

  /**
   * Apply `mutate` to a copy of the body and make it durable as the next generation. If any write
   * fails the in-memory body is left as it was, so memory never runs ahead of disk.
   */
  commit(reason: string, mutate: (draft: StoreBody) => void): StoreBody {
    const draft = structuredClone(this.#body);
    mutate(draft);
    draft.generation = this.#body.generation + 1;
    draft.auditHead = this.#audit.head();
    this.write(draft, reason);
    return draft;
  }

  /** Write `body` exactly as given (used for the first generation and for zeroization). */
  write(body: StoreBody, reason: string): void {
    // The audit head recorded in the store must be on disk before the store is, or a crash right
    // after this commit would leave a store pointing past the end of the log (read as truncation).
    this.#audit.sync();
    const { text, mac: m } = encodeStoreFile(this.#keys, body);
    const probe = this.#probe;
    writeFileAtomic(this.#paths.store, text, {
      afterTempWritten: () => probe?.('store-temp-written', reason),
      afterRename: () => probe?.('store-renamed', reason),
    });
    writeAnchor(this.#paths.anchor, this.#keys.anchorMac, { v: 1, generation: body.generation, storeMac: m });
    probe?.('anchor-written', reason);
    this.#body = body;
    this.#audit.append({ op: 'store.commit', role: 'device', count: 0, outcome: 'ok', detail: { generation: body.generation, storeMac: m, reason } }, { sync: true });
  }
}
