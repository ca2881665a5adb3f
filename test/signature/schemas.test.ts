import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { SCHEMA_BASE, SIGNATURE_SCHEMAS } from '../../src/core/signature/schemas.ts';
import { parseDeviceMessage, validateMessage } from '../../src/core/signature/messages.ts';
import { SCHEMA_DIR, schemaFile } from '../../scripts/write-signature-schemas.ts';

describe('published JSON Schemas (docs/schemas/v1)', () => {
  it('are exactly the schemas the gateway validates with (run scripts/write-signature-schemas.ts after a change)', () => {
    const files = readdirSync(SCHEMA_DIR).sort();
    expect(files).toEqual(Object.keys(SIGNATURE_SCHEMAS).sort());
    for (const [name, schema] of Object.entries(SIGNATURE_SCHEMAS)) expect(readFileSync(join(SCHEMA_DIR, name), 'utf8'), name).toBe(schemaFile(schema));
  });

  it('compile as draft 2020-12 and accept and refuse what the protocol says', () => {
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, validateFormats: false });
    for (const f of readdirSync(SCHEMA_DIR)) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8')) as object);
    const v = (name: string, value: unknown) => ajv.validate(SCHEMA_BASE + name, value);
    const chunk = { v: 1, type: 'chunk', challengeId: 'chl_1', seq: 0, sentAt: 250.5, samples: { motion: { acc: [{ t: 10, x: 0.1, y: 7.2, z: 6.9 }] }, voice: { frames: [{ t: 12, f0Hz: null, energyDb: -50 }] } } };
    expect(v('session-chunk.json', chunk)).toBe(true);
    expect(v('session-chunk.json', { ...chunk, seq: -1 })).toBe(false);
    expect(v('session-chunk.json', { ...chunk, samples: { motion: { acc: [{ t: 10, x: 0, y: 0 }] } } })).toBe(false);
    expect(v('session-chunk.json', { ...chunk, samples: { smell: {} } })).toBe(false);
    expect(v('session-hello.json', { v: 1, type: 'hello', challengeId: 'chl_1', person: 'p', credentialId: 'abc_-', digest: 'a'.repeat(64), modalities: ['motion'] })).toBe(true);
    expect(v('session-hello.json', { v: 1, type: 'hello', challengeId: 'chl_1', person: 'p', credentialId: 'abc', digest: 'A'.repeat(64), modalities: ['motion'] })).toBe(false);
    expect(v('session-result.json', { v: 1, type: 'result', challengeId: 'chl_1', outcome: 'refused', reason: 'signature refused', next: { challengeId: 'chl_2' } })).toBe(true);
  });

  it('the gateway parser uses them: unknown fields and types are refused with the path', () => {
    expect(() => parseDeviceMessage('{"v":1,"type":"chunk","challengeId":"c","seq":0,"sentAt":0,"samples":{},"extra":1}')).toThrow(/extra/);
    expect(() => parseDeviceMessage('{"v":1,"type":"telemetry","challengeId":"c"}')).toThrow(/unknown message type/);
    // A type naming a member of Object.prototype is unknown too (it found no schema, SCHEMA_MISSING, before).
    for (const type of ['constructor', 'toString', '__proto__', 'valueOf']) {
      expect(() => parseDeviceMessage(JSON.stringify({ v: 1, type, challengeId: 'c' }))).toThrow(expect.objectContaining({ code: 'SESSION_MESSAGE_INVALID', status: 400 }));
    }
    expect(() => validateMessage('person-declaration.json', { modalities: ['hrv', 'hrv'] })).toThrow(/duplicate/);
  });
});
