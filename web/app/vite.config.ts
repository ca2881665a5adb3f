import { resolve } from 'node:path';
import { defineConfig } from 'vite';

/**
 * The approver app's build: web/app -> web/app/dist, served under /app/. No asset is inlined
 * (a data: URL would need a CSP exception); the AudioWorklet is its own file.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/app/',
  build: {
    outDir: resolve(import.meta.dirname, 'dist'),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    rollupOptions: { input: { 'signing-harness': resolve(import.meta.dirname, 'signing-harness.html') } },
  },
});
