import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { registerPrincipal } from '../../src/gateway/register-principal.ts';
import { mintAssertion } from '../helpers/assertion.ts';
import type { Harness } from '../helpers/harness.ts';

/** The tables an erasure empties of a person, and the column naming the person in each. */
const PERSON_TABLES = { sig_people: 'id', sig_devices: 'person', sig_fingerprints: 'person', sig_enrolments: 'person', sig_ceremonies: 'person' } as const;
export type PersonRows = Record<keyof typeof PERSON_TABLES, number>;

/** Counts a person's rows in the gateway's database file itself (committed data), not through the API. */
export function rowsOf(h: Harness, person: string): PersonRows {
  const db = new DatabaseSync(join(h.dir, 'gateway.db'), { readOnly: true });
  try {
    const out = {} as PersonRows;
    for (const [table, column] of Object.entries(PERSON_TABLES) as [keyof PersonRows, string][]) {
      out[table] = Number((db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?`).get(person) as { n: number }).n);
    }
    return out;
  } finally {
    db.close();
  }
}

export const NO_ROWS: PersonRows = { sig_people: 0, sig_devices: 0, sig_fingerprints: 0, sig_enrolments: 0, sig_ceremonies: 0 };

export interface Admin {
  id: string;
  key: KeyObject;
  /** DELETE /v1/people/{person} with a fresh assertion; `now` for a gateway on a moved clock. */
  erase(person: string): Promise<{ status: number; type: string | null; json: Record<string, unknown> }>;
}

export async function addAdmin(h: Harness, id: string, now: () => number = Date.now): Promise<Admin> {
  const k = generateKeyPairSync('ed25519');
  await registerPrincipal(h.gw.ctx.store, { id, roles: ['admin'], publicJwk: k.publicKey.export({ format: 'jwk' }) }, now());
  return {
    id,
    key: k.privateKey,
    async erase(person) {
      const path = `/v1/people/${person}`;
      const token = await mintAssertion(k.privateKey, { id, aud: h.url, method: 'DELETE', path, iat: Math.floor(now() / 1000) });
      const res = await fetch(h.url + path, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, type: res.headers.get('content-type'), json: (await res.json()) as Record<string, unknown> };
    },
  };
}

/** Keys a `person.erased` entry has: nothing else may creep in (no profile, features, fingerprints). */
export const ERASED_ENTRY_KEYS = {
  erasure_request: ['basis', 'by', 'categories', 'challengesClosed', 'devices', 'person', 'rows', 'ts', 'type', 'v'],
  retention_schedule: ['basis', 'categories', 'challengesClosed', 'devices', 'lastInteractionAt', 'person', 'retentionDays', 'rows', 'ts', 'type', 'v'],
};
