/**
 * C2SP signed-note: text ending in a newline, a blank line, then signature lines
 * `— <key name> base64(key ID (4 bytes, big-endian) || signature)`.
 *
 * Parsing is strict: valid UTF-8, no control characters other than newline, standard padded base64,
 * at most MAX_SIGNATURES lines. Verification follows the spec: signatures from unknown (name, key ID)
 * pairs are ignored; a known key whose signature fails rejects the note; a note with no verified
 * signature from a known key is rejected.
 */
import { Buffer } from 'buffer';
import { FirewallError } from '../errors.ts';
import { decodeBase64Strict, encodeBase64 } from './base64.ts';
import { ed25519PublicKey, ed25519Verify, isValidKeyName, keyId, SIG_TYPE_ED25519, type VerifierKey } from './verifier-key.ts';

export const EM_DASH = '\u2014';
export const MAX_NOTE_BYTES = 1 << 20;
/** The spec requires accepting at least 16. */
export const MAX_SIGNATURES = 100;

export interface NoteSignature {
  name: string;
  keyId: number;
  /** Signature bytes after the 4-byte key ID. */
  signature: Buffer;
}

export interface SignedNote {
  /** The signed text, including its final newline. */
  text: string;
  signatures: NoteSignature[];
}

const CONTROL = /[\u0000-\u0009\u000b-\u001f]/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function malformed(why: string): never {
  throw new FirewallError('NOTE_MALFORMED', `malformed signed note: ${why}`, { status: 400 });
}

export function parseSignedNote(input: string | Uint8Array): SignedNote {
  let s: string;
  if (typeof input === 'string') {
    if (!input.isWellFormed()) malformed('not valid Unicode');
    s = input;
    if (Buffer.byteLength(s, 'utf8') > MAX_NOTE_BYTES) malformed('too large');
  } else {
    if (input.length > MAX_NOTE_BYTES) malformed('too large');
    try {
      s = utf8.decode(input);
    } catch {
      malformed('not valid UTF-8');
    }
  }
  if (CONTROL.test(s)) malformed('contains control characters other than newline');
  const split = s.lastIndexOf('\n\n');
  if (split < 0) malformed('no blank line before the signatures');
  const text = s.slice(0, split + 1);
  const sigBlock = s.slice(split + 2);
  if (sigBlock.length === 0 || !sigBlock.endsWith('\n')) malformed('signature block must be non-empty and end with a newline');
  const lines = sigBlock.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) malformed(`more than ${MAX_SIGNATURES} signatures`);
  const signatures: NoteSignature[] = [];
  for (const [i, line] of lines.entries()) {
    if (!line.startsWith(`${EM_DASH} `)) malformed(`signature line ${i + 1} does not start with "— "`);
    const rest = line.slice(2);
    const sp = rest.indexOf(' ');
    if (sp <= 0) malformed(`signature line ${i + 1} has no key name`);
    const name = rest.slice(0, sp);
    if (!isValidKeyName(name)) malformed(`signature line ${i + 1} has an invalid key name`);
    const raw = decodeBase64Strict(rest.slice(sp + 1), `signature line ${i + 1}`, 'NOTE_MALFORMED');
    if (raw.length < 5) malformed(`signature line ${i + 1} is too short`);
    signatures.push({ name, keyId: raw.readUInt32BE(0), signature: raw.subarray(4) });
  }
  return { text, signatures };
}

export function signatureLine(name: string, id: number, signature: Uint8Array): string {
  if (!isValidKeyName(name)) throw new FirewallError('NOTE_MALFORMED', 'invalid key name', { status: 400 });
  const raw = Buffer.allocUnsafe(4 + signature.length);
  raw.writeUInt32BE(id >>> 0, 0);
  raw.set(signature, 4);
  return `${EM_DASH} ${name} ${encodeBase64(raw)}\n`;
}

export function formatSignedNote(text: string, lines: readonly string[]): string {
  if (!text.endsWith('\n')) throw new FirewallError('NOTE_MALFORMED', 'note text must end with a newline', { status: 400 });
  if (lines.length === 0) throw new FirewallError('NOTE_MALFORMED', 'a signed note needs at least one signature', { status: 400 });
  return `${text}\n${lines.join('')}`;
}

/** Something that can check one kind of note signature for one (name, key ID). */
export interface NoteVerifier {
  name: string;
  keyId: number;
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

/** Verifier for a type-0x01 (Ed25519) note signature. */
export function ed25519NoteVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  const key = ed25519PublicKey(publicKey);
  return {
    name,
    keyId: keyId(name, SIG_TYPE_ED25519, publicKey),
    verify: (text, sig) => ed25519Verify(key, text, sig),
  };
}

export function noteVerifierFromKey(vk: VerifierKey): NoteVerifier {
  if (vk.type !== SIG_TYPE_ED25519) {
    throw new FirewallError('VKEY_UNSUPPORTED', `verifier key type 0x${vk.type.toString(16)} is not an Ed25519 note key`, { status: 400 });
  }
  return ed25519NoteVerifier(vk.name, vk.publicKey);
}

/**
 * Verify a parsed note against trusted verifiers. Returns the signatures that verified (at least one).
 * NOTE_SIGNATURE_INVALID when a known key's signature fails; NOTE_UNVERIFIED when no known key signed.
 */
export function verifyNote(note: SignedNote, verifiers: readonly NoteVerifier[]): NoteSignature[] {
  const text = Buffer.from(note.text, 'utf8');
  const verified: NoteSignature[] = [];
  for (const sig of note.signatures) {
    const v = verifiers.find((x) => x.name === sig.name && x.keyId === sig.keyId);
    if (!v) continue;
    if (!v.verify(text, sig.signature)) {
      throw new FirewallError('NOTE_SIGNATURE_INVALID', `signature by ${sig.name} does not verify`, { status: 400 });
    }
    verified.push(sig);
  }
  if (verified.length === 0) {
    throw new FirewallError('NOTE_UNVERIFIED', 'note carries no signature from a trusted key', { status: 400 });
  }
  return verified;
}
