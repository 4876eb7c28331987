import { defineConfig } from 'tsup';

// ESM and CJS from one source, each with its declarations. Not minified: app bundlers minify,
// and readable stack traces matter more here (scripts/size.mjs measures the minified size).
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  target: 'es2020',
  clean: true,
  sourcemap: false,
  splitting: false,
});
