/**
 * Migration 2: a ceremony's payload (sig_ceremonies.payload), so a comparator's co-sign ceremony
 * is kept in the store and any replica completes it (src/gateway/comparator.ts).
 */
export const name = 'ceremony-payload';

export const sql = `ALTER TABLE sig_ceremonies ADD COLUMN payload TEXT;`;
