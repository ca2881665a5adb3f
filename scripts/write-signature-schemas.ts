/**
 * Writes docs/schemas/v1/*.json from src/core/signature/schemas.ts (the gateway validates with
 * the code's copy; test/signature/schemas.test.ts fails when the two differ).
 *   node scripts/write-signature-schemas.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SIGNATURE_SCHEMAS } from '../src/core/signature/schemas.ts';

export const SCHEMA_DIR = resolve(import.meta.dirname, '../docs/schemas/v1');

export function schemaFile(schema: object): string {
  return JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...schema }, null, 2) + '\n';
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  mkdirSync(SCHEMA_DIR, { recursive: true });
  for (const [name, schema] of Object.entries(SIGNATURE_SCHEMAS)) writeFileSync(join(SCHEMA_DIR, name), schemaFile(schema));
  process.stdout.write(`wrote ${Object.keys(SIGNATURE_SCHEMAS).length} schemas to ${SCHEMA_DIR}\n`);
}
