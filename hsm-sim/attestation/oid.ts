/**
 * DER encoding of OBJECT IDENTIFIER contents with arbitrarily large arcs. node-forge caps arcs at
 * 32 bits, and our arc lives under 2.25 (X.667: a UUID as one integer arc, no registration needed).
 */

/** The project's arc: 2.25.<UUID 8f230104-8926-4157-b40c-f7f6e35cee02 as an integer>. */
export const PROJECT_ARC = '2.25.190261354429059636599302519842938875394';
/** Extension carrying the key attestation statement (docs/hsm.md, "Attestation certificates"). */
export const KEY_ATTESTATION_OID = `${PROJECT_ARC}.1.1`;

function base128(value: bigint): number[] {
  const out = [Number(value & 0x7fn)];
  value >>= 7n;
  while (value > 0n) {
    out.unshift(Number(value & 0x7fn) | 0x80);
    value >>= 7n;
  }
  return out;
}

/** Contents octets (no tag, no length) of the OID, as X.690 §8.19 defines them. */
export function oidContents(oid: string): Buffer {
  if (!/^[0-2](\.(0|[1-9][0-9]*))+$/.test(oid)) throw new Error(`not a dotted OID: ${oid}`);
  const arcs = oid.split('.').map((a) => BigInt(a));
  const [first, second, ...rest] = arcs as [bigint, bigint, ...bigint[]];
  if (first < 2n && second > 39n) throw new Error(`OID second arc out of range: ${oid}`);
  const bytes = base128(first * 40n + second);
  for (const arc of rest) bytes.push(...base128(arc));
  return Buffer.from(bytes);
}
