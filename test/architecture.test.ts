/**
 * The layering of src/ (docs/architecture.md §Layout), checked on every import, type-only ones
 * included, as a TypeScript parser sees them (vite's parseSync, which is oxc's):
 *
 *  - src/core is pure: it imports nothing of the other layers and no module that does I/O;
 *  - src/gateway owns its ports: it imports neither src/adapters nor the composition root, and so
 *    knows no database, HTTP framework or network client;
 *  - src/adapters implement the ports and never reach into the composition root or the CLI;
 *  - only the composition root (src/main) and the CLI name a concrete store (the store adapters
 *    themselves aside).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSync } from 'vite';

const ROOT = resolve(import.meta.dirname, '..');

/** Modules that do I/O (files, network, processes, databases, threads, terminals). */
const IO_MODULES = new Set([
  'fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'tls', 'dgram', 'dns', 'dns/promises', 'sqlite',
  'child_process', 'worker_threads', 'cluster', 'readline', 'inspector', 'v8', 'vm', 'os', 'process', 'timers/promises',
]);
/** Packages whose purpose is I/O. */
const IO_PACKAGES = new Set(['express', 'ws', 'pg', 'ioredis', 'pkcs11js', 'web-push', 'pino', 'undici', '@modelcontextprotocol/sdk', 'rate-limiter-flexible', 'prom-client']);
/** What only the composition root and the CLI may import: the store implementations. */
const CONCRETE_STORES = /^src\/adapters\/store\//;

type Layer = 'core' | 'gateway' | 'adapters' | 'main' | 'cli' | 'other';

function layerOf(path: string): Layer {
  const m = /^src\/(core|gateway|adapters|main|cli)\//.exec(path);
  return m === null ? 'other' : (m[1] as Layer);
}

/** Every module specifier a file names: static imports (type-only too), re-exports, dynamic imports of a literal. */
export function specifiersOf(file: string, text: string): string[] {
  const r = parseSync(file, text);
  if (r.errors.length > 0) throw new Error(`${file}: ${r.errors[0]!.message}`);
  const out = r.module.staticImports.map((i) => i.moduleRequest.value);
  for (const e of r.module.staticExports) for (const x of e.entries) if (x.moduleRequest) out.push(x.moduleRequest.value);
  for (const d of r.module.dynamicImports) {
    const spec = text.slice(d.moduleRequest.start, d.moduleRequest.end);
    if (/^(['"]).*\1$/.test(spec)) out.push(spec.slice(1, -1));
  }
  return out;
}

/** A specifier as a repository path (relative ones, and the `#sha256` subpath import) or a module name. */
function targetOf(file: string, spec: string): { path?: string; module?: string } {
  if (spec.startsWith('.')) return { path: normalize(join(dirname(file), spec)).replaceAll('\\', '/') };
  if (spec.startsWith('#')) return { path: 'src/core/merkle/' };
  const name = spec.startsWith('node:') ? spec.slice(5) : spec;
  const pkg = name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]!;
  return { module: spec.startsWith('node:') ? `node:${name}` : pkg };
}

export interface Violation {
  file: string;
  imports: string;
  rule: string;
}

/** Checks the layering rules over files given as repository path -> source text. */
export function checkLayers(files: ReadonlyMap<string, string>): Violation[] {
  const out: Violation[] = [];
  for (const [file, text] of files) {
    const layer = layerOf(file);
    for (const spec of specifiersOf(file, text)) {
      const t = targetOf(file, spec);
      const to = t.path === undefined ? undefined : layerOf(t.path);
      const flag = (rule: string) => out.push({ file, imports: spec, rule });
      if (layer === 'core') {
        if (to !== undefined && to !== 'core' && to !== 'other') flag('src/core imports only src/core');
        const bare = t.module?.replace(/^node:/, '');
        if (bare !== undefined && (IO_MODULES.has(bare) || IO_PACKAGES.has(bare))) flag('src/core does no I/O');
      }
      if (layer === 'gateway' && (to === 'adapters' || to === 'main' || to === 'cli')) flag('src/gateway imports no adapter and not the composition root');
      if (layer === 'gateway' && (t.module === 'node:sqlite' || t.module === 'pg' || t.module === 'ioredis')) flag('src/gateway knows no database');
      if (layer === 'adapters' && (to === 'main' || to === 'cli')) flag('src/adapters do not reach into the composition root or the CLI');
      const mayNameStore = layer === 'main' || layer === 'cli' || CONCRETE_STORES.test(file);
      if (!mayNameStore && t.path !== undefined && CONCRETE_STORES.test(t.path)) flag('only src/main and src/cli name a concrete store');
    }
  }
  return out;
}

function sources(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !e.name.endsWith('.ts')) continue;
    const path = relative(ROOT, join(e.parentPath, e.name)).replaceAll('\\', '/');
    out.set(path, readFileSync(join(ROOT, path), 'utf8'));
  }
  return out;
}

describe('architecture', () => {
  it('src/ keeps its layers: pure core, gateway on its own ports, one composition root', () => {
    const files = sources('src');
    expect(files.size).toBeGreaterThan(200);
    expect(checkLayers(files)).toEqual([]);
  });

  it('finds each kind of violation', () => {
    const found = checkLayers(
      new Map([
        ['src/gateway/x.ts', "import type { SqliteStore } from '../adapters/store/sqlite-store.ts';\nexport { y } from '../main/assemble.ts';"],
        ['src/gateway/db.ts', "import { DatabaseSync } from 'node:sqlite';"],
        ['src/core/y.ts', "import { readFileSync } from 'node:fs';\nimport type { Store } from '../gateway/ports/store.ts';\nconst m = await import('node:child_process');"],
        ['src/core/z.ts', "import express from 'express';\nimport { createHash } from 'node:crypto';\nimport { sha256 } from '#sha256';"],
        ['src/adapters/http/r.ts', "import { openStore } from '../../main/open-store.ts';\nimport { SqliteStore } from '../store/sqlite-store.ts';"],
        ['src/main/ok.ts', "import { SqliteStore } from '../adapters/store/sqlite-store.ts';"],
        ['src/adapters/store/ok.ts', "import { prepareAll } from './sqlite-statements.ts';"],
      ]),
    );
    expect(found.map((v) => `${v.file} ${v.imports}: ${v.rule}`)).toEqual([
      'src/gateway/x.ts ../adapters/store/sqlite-store.ts: src/gateway imports no adapter and not the composition root',
      'src/gateway/x.ts ../adapters/store/sqlite-store.ts: only src/main and src/cli name a concrete store',
      'src/gateway/x.ts ../main/assemble.ts: src/gateway imports no adapter and not the composition root',
      'src/gateway/db.ts node:sqlite: src/gateway knows no database',
      'src/core/y.ts node:fs: src/core does no I/O',
      'src/core/y.ts ../gateway/ports/store.ts: src/core imports only src/core',
      'src/core/y.ts node:child_process: src/core does no I/O',
      'src/core/z.ts express: src/core does no I/O',
      'src/adapters/http/r.ts ../../main/open-store.ts: src/adapters do not reach into the composition root or the CLI',
      'src/adapters/http/r.ts ../store/sqlite-store.ts: only src/main and src/cli name a concrete store',
    ]);
  });
});
