import type { ValidateFunction } from 'ajv';
import { FirewallError } from '../errors.ts';
import { compilePolicy } from './compile.ts';
import { policyHash } from './hash.ts';
import { compileSchema, describeAjvErrors, formatFieldPath, type FieldPath } from './json-schema.ts';
import { normalisePolicy } from './normalise.ts';
import { policySchema, type RawPolicy } from './schema.ts';
import { checkPolicySemantics } from './semantic-checks.ts';
import type { Policy, PolicyDocument, PolicyIssue } from './types.ts';
import { locate, readYaml, type YamlSource } from './yaml-source.ts';

/** Far above any real policy (a 1,000-rule file is ~150 KiB); refuses accidental huge inputs. */
export const MAX_POLICY_BYTES = 4 * 1024 * 1024;

let validator: ValidateFunction<RawPolicy> | undefined;

function issue(file: string, src: YamlSource, path: FieldPath, message: string, atKey = false): PolicyIssue {
  const pos = locate(src, path, atKey);
  return { file, line: pos.line, column: pos.column, field: formatFieldPath(path), message };
}

function invalid(file: string, unsorted: PolicyIssue[]): FirewallError {
  // File order: the operator fixes them top to bottom.
  const errors = [...unsorted].sort((a, b) => a.line - b.line || a.column - b.column);
  const first = errors[0] as PolicyIssue;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new FirewallError(
    'POLICY_INVALID',
    `policy ${file} is invalid: ${first.file}:${first.line}:${first.column} ${first.field}: ${first.message}${more}`,
    { status: 400, detail: { file, errors } },
  );
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}

/**
 * YAML text → validated, normalised, compiled, hashed Policy. Pure. Throws
 * FirewallError('POLICY_INVALID') whose `detail.errors` lists every problem found as
 * `{ file, line, column, field, message }`: YAML syntax first; then all schema violations; then
 * (only once the shape is right, since they presuppose it) all semantic problems.
 */
export function parsePolicy(text: string, fileName: string): Policy {
  if (Buffer.byteLength(text, 'utf8') > MAX_POLICY_BYTES) {
    throw invalid(fileName, [{ file: fileName, line: 1, column: 1, field: '(document)', message: `policy is larger than ${MAX_POLICY_BYTES} bytes` }]);
  }
  const src = readYaml(text.startsWith('\uFEFF') ? text.slice(1) : text);
  if (src.syntaxErrors.length > 0) {
    throw invalid(fileName, src.syntaxErrors.map((e) => ({ file: fileName, line: e.line, column: e.column, field: '(yaml)', message: e.message })));
  }

  validator ??= compileSchema<RawPolicy>(policySchema);
  if (!validator(src.value)) {
    throw invalid(fileName, describeAjvErrors(validator.errors).map((p) => issue(fileName, src, p.path, p.message, p.atKey)));
  }
  const raw = src.value;

  const doc = normalisePolicy(raw);
  const semantic = checkPolicySemantics(raw, doc);
  if (semantic.errors.length > 0) {
    throw invalid(fileName, semantic.errors.map((e) => issue(fileName, src, e.path, e.message, e.atKey)));
  }
  const warnings = semantic.warnings.map((w) => issue(fileName, src, w.path, w.message, w.atKey));
  return buildPolicy(doc, fileName, warnings);
}

/** Hash, compile and freeze an already-normalised document (also used by tests and benchmarks). */
export function buildPolicy(doc: PolicyDocument, file: string, warnings: PolicyIssue[] = []): Policy {
  deepFreeze(doc);
  const policy = { ...doc, hash: policyHash(doc), file, warnings: Object.freeze(warnings) } as Policy;
  // Non-enumerable: serialising a Policy yields the document plus hash, never functions or regexes.
  Object.defineProperty(policy, 'compiled', { value: compilePolicy(doc), enumerable: false });
  return Object.freeze(policy);
}
