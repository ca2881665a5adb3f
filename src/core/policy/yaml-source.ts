import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { FieldPath } from './json-schema.ts';

/**
 * YAML text with the position information needed to point an error at a line. Validation works on
 * plain JS values (what ajv sees); this keeps the parsed node tree beside them so any field path can
 * be mapped back to where it was written.
 */
export interface YamlSource {
  doc: Document;
  lineCounter: LineCounter;
  /** Syntax problems, already positioned. Non-empty means `value` is unusable. */
  syntaxErrors: { line: number; column: number; message: string }[];
  value: unknown;
}

export interface Position {
  line: number;
  column: number;
}

/** Alias expansion bound: a "billion laughs" policy must not exhaust the gateway at start-up. */
const MAX_ALIAS_COUNT = 100;

export function readYaml(text: string): YamlSource {
  const lineCounter = new LineCounter();
  // YAML 1.2 core schema: `no`, `on`, `yes` stay strings and nothing becomes a date by accident.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true, schema: 'core', version: '1.2' });
  const syntaxErrors = doc.errors.map((e) => {
    const p = lineCounter.linePos(e.pos[0]);
    return { line: p.line, column: p.col, message: e.message.split('\n')[0] ?? e.message };
  });
  let value: unknown = null;
  if (syntaxErrors.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      syntaxErrors.push({ line: 1, column: 1, message: e instanceof Error ? e.message : String(e) });
    }
  }
  return { doc, lineCounter, syntaxErrors, value };
}

function resolve(src: YamlSource, node: unknown): unknown {
  return isAlias(node) ? node.resolve(src.doc) : node;
}

function startOf(src: YamlSource, node: unknown): Position | undefined {
  const range = (node as Node | null | undefined)?.range;
  if (!range) return undefined;
  const p = src.lineCounter.linePos(range[0]);
  return { line: p.line, column: p.col };
}

/**
 * Where a field was written. Walks as far down `path` as the document goes and returns the deepest
 * node found, so a missing field points at the mapping that should contain it. With `atKey`, the
 * position of the last segment's key rather than its value (for "unknown field" errors).
 */
export function locate(src: YamlSource, path: FieldPath, atKey = false): Position {
  let node: unknown = resolve(src, src.doc.contents);
  let best = startOf(src, node) ?? { line: 1, column: 1 };
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair === undefined) return best;
      if (last && atKey) return startOf(src, pair.key) ?? best;
      node = resolve(src, pair.value);
      // A block mapping or list starts on the line after its key; the key line is where the reader
      // looks. A key with no value (`cooling:`) has no value node at all.
      const keyPos = startOf(src, pair.key);
      const blockValue = isCollection(node) && node.flow !== true;
      best = (blockValue ? keyPos : startOf(src, node) ?? keyPos) ?? best;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) return best;
      node = resolve(src, item);
      best = startOf(src, node) ?? best;
    } else {
      return best;
    }
  }
  return best;
}
