import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const root = import.meta.dirname;

/**
 * Subresource Integrity for the shell's own <script> and <link> tags (Vite has no option for it):
 * sha384 of each emitted file, added once the bundle is final. Dynamic imports cannot carry
 * integrity; they come from the same origin under the CSP's script-src 'self'.
 */
function subresourceIntegrity(): Plugin {
  return {
    name: 'af-sri',
    apply: 'build',
    // On the files as written: Vite's own plugins still rewrite chunks during generateBundle.
    writeBundle(options) {
      const dir = options.dir!;
      for (const shell of ['index.html', 'regulator.html']) addIntegrity(dir, resolve(dir, shell));
    },
  };
}

function addIntegrity(dir: string, file: string): void {
  const html = readFileSync(file, 'utf8').replace(/<(script|link)\b([^>]*?)\s(src|href)="\/app\/(assets\/[^"]+)"([^>]*)>/g, (tag, el: string, before: string, attr: string, path: string, after: string) => {
    if (tag.includes('integrity=')) return tag;
    const digest = createHash('sha384').update(readFileSync(resolve(dir, path))).digest('base64');
    return `<${el}${before} ${attr}="/app/${path}" integrity="sha384-${digest}"${after}>`;
  });
  writeFileSync(file, html);
}

// The live signing screen lives in src/signing/ (its own module); until it exists, a placeholder.
const signing = existsSync(resolve(root, 'src/signing/index.ts')) ? resolve(root, 'src/signing/index.ts') : resolve(root, 'src/signing-placeholder.ts');

export default defineConfig({
  root,
  base: '/app/',
  publicDir: resolve(root, 'public'),
  // @evidence-check: the regulator verifier's evidence-package check, one implementation for Node and the page.
  // @regulator-verifier: the regulator verifier, one implementation with the CLI's (clients/regulator/browser.ts).
  resolve: {
    alias: {
      '@signing': signing,
      '@evidence-check': resolve(root, '../../clients/regulator/evidence.ts'),
      '@regulator-verifier': resolve(root, '../../clients/regulator/browser.ts'),
    },
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: resolve(root, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // No inline <script>/<style> and no data: URLs for assets: the CSP allows neither.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rolldownOptions: {
      // The shell and the service worker; the signing module is a chunk the shell loads on demand.
      // The regulator console: its own shell and entry, so nothing of it loads with the approver's inbox.
      input: { main: resolve(root, 'index.html'), regulator: resolve(root, 'regulator.html'), sw: resolve(root, 'src/sw.ts') },
      output: {
        entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js'),
      },
    },
  },
  plugins: [subresourceIntegrity()],
});
