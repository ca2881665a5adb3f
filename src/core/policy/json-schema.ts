import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/**
 * Shared ajv set-up and error wording for the two documents the firewall validates by schema
 * (policy files and Branch Cards). The aim is one precise, human-readable line per problem, with
 * the path of the field it concerns, instead of ajv's terse defaults.
 */

export type FieldPath = (string | number)[];

export interface SchemaProblem {
  /** Path of the field concerned (for an unknown field, the unknown field itself). */
  path: FieldPath;
  /** True when the problem is the key itself (an unknown field), so a locator can point at the key. */
  atKey: boolean;
  message: string;
}

export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
  // Annotation keyword: a schema node may carry the sentence to show when its pattern fails.
  ajv.addKeyword({ keyword: 'errorHint', schemaType: 'string' });
  return ajv;
}

export function compileSchema<T>(schema: object): ValidateFunction<T> {
  return createAjv().compile<T>(schema);
}

/** `rules[2].match.amount` style, the form users see in messages. */
export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(document)' : out;
}

function pointerToPath(pointer: string): FieldPath {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

function show(value: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'null',
};

/** Translates ajv errors; drops the ones another error already explains. */
export function describeAjvErrors(errors: readonly ErrorObject[] | null | undefined): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    const p = describeOne(e);
    if (p === undefined) continue;
    const key = `${formatFieldPath(p.path)}\u0000${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

function describeOne(e: ErrorObject): SchemaProblem | undefined {
  const path = pointerToPath(e.instancePath);
  const hint = (e.parentSchema as { errorHint?: unknown } | undefined)?.errorHint;
  const got = e.data === undefined ? '' : ` (got ${show(e.data)})`;
  if (e.propertyName !== undefined) {
    // A mapping key failed `propertyNames`: point at that key, not at the whole mapping.
    const why = typeof hint === 'string' ? hint : 'is not an allowed name here';
    return { path: [...path, e.propertyName], atKey: true, message: `key '${e.propertyName}' ${why}` };
  }
  switch (e.keyword) {
    case 'propertyNames':
      return undefined; // the nested error above already names the key
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      return { path: [...path, missing], atKey: false, message: `missing required field '${missing}'` };
    }
    case 'additionalProperties': {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const list = allowed.length > 0 ? ` (allowed here: ${allowed.join(', ')})` : '';
      return { path: [...path, extra], atKey: true, message: `unknown field '${extra}'${list}` };
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map((v) => String(v)).join(', ');
      const base = `must be one of ${allowed}${got}`;
      return { path, atKey: false, message: typeof hint === 'string' ? `${base}: ${hint}` : base };
    }
    case 'const':
      return { path, atKey: false, message: `must be ${show((e.params as { allowedValue: unknown }).allowedValue)}${got}` };
    case 'type': {
      const t = (e.params as { type: string | string[] }).type;
      const words = (Array.isArray(t) ? t : String(t).split(',')).map((x) => TYPE_WORDS[x] ?? x);
      return { path, atKey: false, message: `must be ${words.join(' or ')}, not ${typeName(e.data)}` };
    }
    case 'pattern':
      return { path, atKey: false, message: typeof hint === 'string' ? `${hint}${got}` : `has an invalid format${got}` };
    case 'if':
      // The `then` branch's own error says what is wrong; the `if` error adds nothing.
      return undefined;
    default:
      return { path, atKey: false, message: `${e.message ?? 'is invalid'}${got}` };
  }
}
