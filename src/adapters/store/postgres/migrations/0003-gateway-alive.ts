/**
 * Migration 3: when a gateway last ran on this database (`gateway_alive`, one row), so the cooling
 * clock stops while no gateway runs (src/gateway/cooling-clock.ts).
 */
export const name = 'gateway-alive';

export const sql = `CREATE TABLE gateway_alive (
  id SMALLINT PRIMARY KEY CHECK (id = 1),
  at BIGINT NOT NULL
);`;
