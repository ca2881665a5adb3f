import { FirewallError } from '../errors.ts';

/**
 * The small part of RFC 8941 (Structured Field Values) that RFC 9421 signatures and RFC 9530
 * digests need: a dictionary whose members are inner lists of strings with parameters, or byte
 * sequences. Strict: anything this parser does not understand is refused, never guessed.
 */
export type BareItem = string | number | boolean | Uint8Array | { token: string };

export interface InnerList {
  items: string[];
  params: [string, BareItem][];
}

export type Member = InnerList | Uint8Array;

function invalid(what: string): FirewallError {
  return new FirewallError('SIGNATURE_INPUT_INVALID', `${what} is not a valid structured field (RFC 8941)`, { status: 401 });
}

// Sticky (`y`): matched at the cursor without slicing the string (this runs on every signed request).
const KEY = /[a-z*][a-z0-9_\-.*]*/y;
const TOKEN = /[A-Za-z*][A-Za-z0-9!#$%&'*+\-.^_`|~:/]*/y;
const INTEGER = /-?\d{1,15}/y;
const BYTES = /:([A-Za-z0-9+/]*={0,2}):/y;
const BOOLEAN = /\?[01]/y;
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

class Cursor {
  s: string;
  i = 0;
  readonly what: string;
  constructor(s: string, what: string) {
    this.s = s;
    this.what = what;
  }
  peek(): string {
    return this.s[this.i] ?? '';
  }
  match(re: RegExp): RegExpExecArray | null {
    re.lastIndex = this.i;
    const m = re.exec(this.s);
    if (m !== null) this.i = re.lastIndex;
    return m;
  }
  spaces(): void {
    while (this.s[this.i] === ' ') this.i++;
  }
  ows(): void {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++;
  }
  fail(): never {
    throw invalid(this.what);
  }
}

function parseString(c: Cursor): string {
  if (c.peek() !== '"') c.fail();
  c.i++;
  // Common case: no escapes, so the string is one slice.
  const close = c.s.indexOf('"', c.i);
  if (close > 0) {
    const raw = c.s.slice(c.i, close);
    if (PLAIN.test(raw)) {
      c.i = close + 1;
      return raw;
    }
  }
  let out = '';
  for (;;) {
    const ch = c.s[c.i++];
    if (ch === undefined) c.fail();
    if (ch === '"') return out;
    if (ch === '\\') {
      const next = c.s[c.i++];
      if (next !== '"' && next !== '\\') c.fail();
      out += next;
      continue;
    }
    const code = ch.charCodeAt(0);
    if (code < 0x20 || code > 0x7e) c.fail();
    out += ch;
  }
}

function parseBareItem(c: Cursor): BareItem {
  const ch = c.peek();
  if (ch === '"') return parseString(c);
  if (ch === ':') {
    const m = c.match(BYTES);
    if (m === null) c.fail();
    return new Uint8Array(Buffer.from(m[1]!, 'base64'));
  }
  if (ch === '?') {
    const m = c.match(BOOLEAN);
    if (m === null) c.fail();
    return m[0] === '?1';
  }
  if (ch === '-' || (ch >= '0' && ch <= '9')) {
    const m = c.match(INTEGER);
    if (m === null || c.peek() === '.') c.fail(); // decimals are never used here
    return Number(m[0]);
  }
  const t = c.match(TOKEN);
  if (t === null) c.fail();
  return { token: t[0] };
}

function parseParams(c: Cursor): [string, BareItem][] {
  const out: [string, BareItem][] = [];
  while (c.peek() === ';') {
    c.i++;
    c.spaces();
    const k = c.match(KEY);
    if (k === null) c.fail();
    let v: BareItem = true;
    if (c.peek() === '=') {
      c.i++;
      v = parseBareItem(c);
    }
    if (out.some(([name]) => name === k[0])) c.fail(); // a repeated parameter is ambiguous: refused
    out.push([k[0], v]);
  }
  return out;
}

function parseInnerList(c: Cursor): InnerList {
  c.i++; // '('
  const items: string[] = [];
  for (;;) {
    c.spaces();
    if (c.peek() === ')') {
      c.i++;
      return { items, params: parseParams(c) };
    }
    items.push(parseString(c));
    // Component parameters (;sf, ;key, ;req, ;bs, ;tr, ;name) change what a component means: refused.
    if (c.peek() === ';') c.fail();
    if (c.peek() !== ' ' && c.peek() !== ')') c.fail();
  }
}

/** Parses a dictionary (RFC 8941 §3.2) whose values are inner lists or byte sequences. */
export function parseDictionary(value: string, what: string): Map<string, Member> {
  const c: Cursor = new Cursor(value.trim(), what);
  const out = new Map<string, Member>();
  if (c.s.length === 0) c.fail();
  for (;;) {
    const k = c.match(KEY);
    if (k === null || c.peek() !== '=') c.fail();
    c.i++;
    let member: Member;
    if (c.peek() === '(') member = parseInnerList(c);
    else {
      const item = parseBareItem(c);
      if (!(item instanceof Uint8Array) || parseParams(c).length > 0) return c.fail();
      member = item;
    }
    if (out.has(k[0])) c.fail();
    out.set(k[0], member);
    c.ows();
    if (c.i >= c.s.length) return out;
    if (c.peek() !== ',') c.fail();
    c.i++;
    c.ows();
    if (c.i >= c.s.length) c.fail();
  }
}

function serializeString(s: string): string {
  return `"${s.replace(/[\\"]/g, (m) => `\\${m}`)}"`;
}

function serializeBareItem(v: BareItem): string {
  if (typeof v === 'string') return serializeString(v);
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? '?1' : '?0';
  if (v instanceof Uint8Array) return `:${Buffer.from(v).toString('base64')}:`;
  return v.token;
}

/** RFC 8941 §4.1.1.1 serialisation of an inner list with its parameters (the `@signature-params` value). */
export function serializeInnerList(l: InnerList): string {
  let out = `(${l.items.map(serializeString).join(' ')})`;
  for (const [k, v] of l.params) out += v === true ? `;${k}` : `;${k}=${serializeBareItem(v)}`;
  return out;
}
