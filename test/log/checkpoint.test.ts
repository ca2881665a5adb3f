import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isFirewallError } from '../../src/core/errors.ts';
import { EMPTY_ROOT } from '../../src/core/merkle/hash.ts';
import {
  checkpointKeyFromJwk,
  formatCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  signCheckpoint,
} from '../../src/core/checkpoint/checkpoint.ts';
import { formatSignedNote, parseSignedNote, signatureLine, verifyNote, ed25519NoteVerifier } from '../../src/core/checkpoint/note.ts';
import { encodeVerifierKey, keyId, parseVerifierKey, SIG_TYPE_ED25519 } from '../../src/core/checkpoint/verifier-key.ts';
import { cosignatureLine, verifyCosignature, witnessFromVerifierKey, witnessVerifierKey } from '../../src/core/checkpoint/cosignature.ts';
import { TestEd25519Signer } from './helpers/test-signer.ts';

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(isFirewallError(e) ? e.code : e).toBe(code);
    return;
  }
  expect.fail(`expected ${code}`);
}

// golang.org/x/mod/sumdb/note example (note.go documentation and note_test.go).
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_SKEY_SEED = 'AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

// A real checkpoint of a static-ct log with witness cosignatures (type 0x04), as published.
const ARCHE_VKEY = 'arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f';
const REMORA_VKEY = 'remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2';
const ARCHE_NOTE = `arche2025h1.staging.ct.transparency.dev
1432088532
U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=

— arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=
— arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=
— transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==
— witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==
— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==
— witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==
`;

describe('signed-note interoperability', () => {
  it('verifies the Go sumdb/note example and reproduces its signature byte for byte', () => {
    const vk = parseVerifierKey(GO_VKEY);
    expect(vk.name).toBe('PeterNeumann');
    expect(encodeVerifierKey(vk.name, SIG_TYPE_ED25519, vk.publicKey)).toBe(GO_VKEY);
    const note = parseSignedNote(GO_NOTE);
    expect(note.text).toBe(GO_TEXT);
    expect(verifyNote(note, [ed25519NoteVerifier(vk.name, vk.publicKey)])).toHaveLength(1);

    const seed = Buffer.from(GO_SKEY_SEED, 'base64').subarray(1);
    const priv = createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', d: seed.toString('base64url'), x: vk.publicKey.toString('base64url') },
      format: 'jwk',
    });
    const sig = sign(null, Buffer.from(GO_TEXT), priv);
    expect(formatSignedNote(GO_TEXT, [signatureLine('PeterNeumann', vk.keyId, sig)])).toBe(GO_NOTE);
  });

  it('opens a published checkpoint and verifies a witness cosignature (type 0x04)', () => {
    const opened = openCheckpoint(ARCHE_NOTE, ARCHE_VKEY);
    expect(opened.checkpoint.size).toBe(1432088532);
    expect(opened.checkpoint.origin).toBe('arche2025h1.staging.ct.transparency.dev');
    const cosig = verifyCosignature(opened.note, witnessFromVerifierKey(REMORA_VKEY));
    expect(cosig.timestamp).toBeGreaterThan(1.7e9);
    // Clobbering the size breaks both.
    const clobbered = ARCHE_NOTE.replace('1432088532', '42');
    expectCode(() => openCheckpoint(clobbered, ARCHE_VKEY), 'NOTE_SIGNATURE_INVALID');
    expectCode(() => verifyCosignature(parseSignedNote(clobbered), witnessFromVerifierKey(REMORA_VKEY)), 'COSIGNATURE_INVALID');
  });

  it('rejects verifier keys with a wrong id, type, length or shape', () => {
    expectCode(() => parseVerifierKey(GO_VKEY.replace('c74f20a3', 'c74f20a4')), 'VKEY_INVALID');
    expectCode(() => parseVerifierKey(GO_VKEY.replace('c74f20a3', 'C74F20A3')), 'VKEY_INVALID');
    expectCode(() => parseVerifierKey('Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'), 'VKEY_INVALID');
    expectCode(() => parseVerifierKey('PeterNeumann+c74f20a3'), 'VKEY_INVALID');
    expectCode(() => parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T'), 'VKEY_INVALID');
    expectCode(() => parseVerifierKey(42), 'VKEY_INVALID');
    // Every truncation of the key fails.
    for (let i = 1; i < GO_VKEY.length; i++) expect(() => parseVerifierKey(GO_VKEY.slice(0, i))).toThrow();
  });

  it('parses notes strictly', () => {
    for (const bad of [
      GO_TEXT,
      `${GO_TEXT}\n`,
      `${GO_TEXT}\n— PeterNeumann x08go/ZJkuBS9UG`,
      `${GO_TEXT}\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
      `${GO_TEXT}\n—  x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
      `${GO_TEXT}\n— PeterNeumann AAAA\n`,
      `${GO_TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n`,
      `bell\u0007\n${GO_NOTE.slice(GO_TEXT.length)}`,
      `cr\r\n${GO_NOTE.slice(GO_TEXT.length)}`,
      `lone \ud800\n${GO_NOTE.slice(GO_TEXT.length)}`,
    ]) {
      expectCode(() => parseSignedNote(bad), 'NOTE_MALFORMED');
    }
    expectCode(() => parseSignedNote(Buffer.from([0xff, 0x0a, 0x0a])), 'NOTE_MALFORMED');
    const many = `${GO_TEXT}\n${'— a AAAAAAA=\n'.repeat(101)}`;
    expectCode(() => parseSignedNote(many), 'NOTE_MALFORMED');
  });

  it('ignores unknown keys, rejects a known key that fails, and requires one verified signature', () => {
    const vk = parseVerifierKey(GO_VKEY);
    const v = ed25519NoteVerifier(vk.name, vk.publicKey);
    const other = generateKeyPairSync('ed25519');
    const otherRaw = Buffer.from(other.publicKey.export({ format: 'jwk' }).x as string, 'base64url');
    const extra = signatureLine('someone.else', keyId('someone.else', SIG_TYPE_ED25519, otherRaw), sign(null, Buffer.from(GO_TEXT), other.privateKey));
    expect(verifyNote(parseSignedNote(`${GO_NOTE}${extra}`), [v])).toHaveLength(1);
    expectCode(() => verifyNote(parseSignedNote(GO_NOTE), [ed25519NoteVerifier('someone.else', otherRaw)]), 'NOTE_UNVERIFIED');
    expectCode(() => verifyNote(parseSignedNote(GO_NOTE.replace('problem,', 'problem;')), [v]), 'NOTE_SIGNATURE_INVALID');
  });
});

describe('checkpoints', () => {
  it('formats and parses the body strictly', () => {
    const root = Buffer.alloc(32, 7);
    const text = formatCheckpoint({ origin: 'example.com/log', size: 20852163, rootHash: root, extensions: ['ext one'] });
    expect(text).toBe(`example.com/log\n20852163\n${root.toString('base64')}\next one\n`);
    expect(parseCheckpoint(text)).toEqual({ origin: 'example.com/log', size: 20852163, rootHash: root, extensions: ['ext one'] });
    expect(parseCheckpoint(`o\n0\n${EMPTY_ROOT.toString('base64')}\n`).size).toBe(0);
    const r = root.toString('base64');
    for (const bad of [
      `o\n1\n${r}`,
      `o\n1\n`,
      `\n1\n${r}\n`,
      `o\n01\n${r}\n`,
      `o\n-1\n${r}\n`,
      `o\n1.0\n${r}\n`,
      `o\n 1\n${r}\n`,
      `o\n9223372036854775808\n${r}\n`,
      `o\n1\n${Buffer.alloc(31).toString('base64')}\n`,
      `o\n1\n${r.slice(0, -1)}\n`,
      `o\n1\n${r}\n\n`,
    ]) {
      expectCode(() => parseCheckpoint(bad), 'CHECKPOINT_MALFORMED');
    }
  });

  it('signs through the Signer and verifies from the published verifier key string', async () => {
    const signer = new TestEd25519Signer();
    const info = await signer.publicKey('checkpoint');
    const key = checkpointKeyFromJwk('firewall.example/log', info.jwk);
    const text = formatCheckpoint({ origin: 'firewall.example/log', size: 3, rootHash: Buffer.alloc(32, 1), extensions: [] });
    const { note } = await signCheckpoint(signer, key, text);
    expect(note.startsWith(`${text}\n— firewall.example/log `)).toBe(true);

    const opened = openCheckpoint(note, key.vkey);
    expect(opened.checkpoint.size).toBe(3);
    // Altered body, wrong key, wrong origin.
    expectCode(() => openCheckpoint(note.replace('\n3\n', '\n4\n'), key.vkey), 'NOTE_SIGNATURE_INVALID');
    const stranger = checkpointKeyFromJwk('firewall.example/log', (await new TestEd25519Signer().publicKey('checkpoint')).jwk);
    expectCode(() => openCheckpoint(note, stranger.vkey), 'NOTE_UNVERIFIED');
    expectCode(() => openCheckpoint(note, key.vkey, 'other.example/log'), 'CHECKPOINT_ORIGIN_MISMATCH');
    // A signer whose signature does not match the advertised key is caught before publication.
    const liar = new TestEd25519Signer();
    await expect(signCheckpoint(liar, key, text)).rejects.toMatchObject({ code: 'CHECKPOINT_SIGNER_INVALID' });
  });

  it('adds and verifies Ed25519 cosignatures', async () => {
    const w = generateKeyPairSync('ed25519');
    const raw = Buffer.from(w.publicKey.export({ format: 'jwk' }).x as string, 'base64url');
    const vkey = witnessVerifierKey('witness.example/w1', raw);
    const signer = new TestEd25519Signer();
    const key = checkpointKeyFromJwk('log.example', (await signer.publicKey('checkpoint')).jwk);
    const text = formatCheckpoint({ origin: 'log.example', size: 9, rootHash: Buffer.alloc(32, 2), extensions: [] });
    const { note } = await signCheckpoint(signer, key, text);
    const line = cosignatureLine('witness.example/w1', raw, text, 1_700_000_000, (m) => sign(null, m, w.privateKey));
    const cosigned = `${note}${line}`;
    // The log key still verifies; the witness line is ignored as unknown to it.
    expect(openCheckpoint(cosigned, key.vkey).checkpoint.size).toBe(9);
    expect(verifyCosignature(parseSignedNote(cosigned), witnessFromVerifierKey(vkey))).toEqual({ witness: 'witness.example/w1', timestamp: 1_700_000_000 });
    expectCode(() => verifyCosignature(parseSignedNote(cosigned), witnessFromVerifierKey(vkey), { maxTimestamp: 1_600_000_000 }), 'COSIGNATURE_INVALID');
    expectCode(() => verifyCosignature(parseSignedNote(note), witnessFromVerifierKey(vkey)), 'COSIGNATURE_MISSING');
    expectCode(() => witnessFromVerifierKey(key.vkey), 'VKEY_UNSUPPORTED');
  });
});
